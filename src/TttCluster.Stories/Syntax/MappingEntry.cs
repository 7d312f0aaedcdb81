namespace TttCluster.Stories.Syntax;

/// <summary>One field of a mapping; <paramref name="KeyOffset"/> is where unknown-field errors point.</summary>
internal sealed record MappingEntry(string Key, int KeyOffset, StoryNode Value);
