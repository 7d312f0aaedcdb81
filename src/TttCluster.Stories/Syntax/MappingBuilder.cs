using TttCluster.Stories.Source;

namespace TttCluster.Stories.Syntax;

/// <summary>Collects a mapping's fields for both readers; a repeated key is reported and its second value dropped.</summary>
internal sealed class MappingBuilder(SourceMap map, StoryErrorList errors)
{
    private readonly List<MappingEntry> _entries = [];
    private readonly Dictionary<string, int> _keyOffsets = new(StringComparer.Ordinal);

    public void Add(string key, int keyOffset, StoryNode value, string valuePath)
    {
        if (_keyOffsets.TryGetValue(key, out int firstOffset))
        {
            // YAML 1.2 and RFC 8259 leave duplicates undefined, and parsers disagree on which wins: refuse to guess.
            errors.Add(map, keyOffset, valuePath, "each field at most once",
                $"\"{FoundText.Name(key)}\" again (first on line {map.LineOf(firstOffset)})");
            return;
        }
        _keyOffsets.Add(key, keyOffset);
        _entries.Add(new MappingEntry(key, keyOffset, value));
    }

    public MappingNode Build(int offset) => new(offset, _entries);
}
