namespace TttCluster.Stories.Syntax;

/// <summary>
/// One value of a story file, YAML or JSON alike, with where it starts. The schema is checked on these nodes, so both
/// formats give the same errors. <see cref="Offset"/> is in the units of the file's <c>SourceMap</c>.
/// </summary>
internal abstract record StoryNode(int Offset);
