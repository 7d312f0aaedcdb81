namespace TttCluster.Stories.Syntax;

/// <summary>A string, number, boolean or null. <see cref="Value"/> is the text as written, e.g. "4.0", ".nan", "~".</summary>
internal sealed record ScalarNode(int Offset, string Value, ScalarKind Kind) : StoryNode(Offset);
