namespace TttCluster.Stories.Syntax;

/// <summary>
/// A value the reader has already reported (an alias, a tagged value). The schema skips it without a second error,
/// so one mistake gives one message.
/// </summary>
internal sealed record RejectedNode(int Offset) : StoryNode(Offset);
