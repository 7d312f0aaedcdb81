namespace TttCluster.Stories.Syntax;

/// <summary>A YAML sequence or JSON array.</summary>
internal sealed record SequenceNode(int Offset, IReadOnlyList<StoryNode> Items) : StoryNode(Offset);
