namespace TttCluster.Stories.Syntax;

/// <summary>A YAML mapping or JSON object, keys unique (a duplicate is reported and dropped), in file order.</summary>
internal sealed record MappingNode(int Offset, IReadOnlyList<MappingEntry> Entries) : StoryNode(Offset);
