namespace TttCluster.Stories.Syntax;

/// <summary>
/// Thrown by a tree reader after it has reported a problem it cannot read past (a syntax error, too deep, too many
/// nodes). Internal control flow only: <c>StoryParser</c> catches it and throws the collected errors.
/// </summary>
internal sealed class StoryAbortedException : Exception;
