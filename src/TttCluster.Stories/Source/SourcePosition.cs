namespace TttCluster.Stories.Source;

/// <summary>A 1-based line and column (in Unicode code points) in a story file.</summary>
internal readonly record struct SourcePosition(int Line, int Column);
