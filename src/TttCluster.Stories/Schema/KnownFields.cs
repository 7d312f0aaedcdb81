using TttCluster.Stories.Syntax;

namespace TttCluster.Stories.Schema;

/// <summary>
/// The fields of one mapping, checked against the names the format allows there. An unknown field is an error (a typo
/// would otherwise be silently ignored, e.g. a misspelt negative_text), with a did-you-mean when one is close.
/// </summary>
internal sealed class KnownFields
{
    private readonly Dictionary<string, StoryNode> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _suggested = new(StringComparer.Ordinal);

    public KnownFields(MappingNode mapping, string path, IReadOnlyList<string> names, ValueReader values)
    {
        Mapping = mapping;
        foreach (var entry in mapping.Entries)
        {
            if (names.Contains(entry.Key))
            {
                _values.Add(entry.Key, entry.Value);
                continue;
            }
            string? suggestion = SpellingHint.Suggest(entry.Key, names);
            string hint = suggestion is null ? "" : $"; did you mean \"{suggestion}\"?";
            if (suggestion is not null)
                _suggested.Add(suggestion);
            values.Report(entry.KeyOffset, FieldPath.Child(path, entry.Key), $"one of the fields {string.Join(", ", names)}",
                $"unknown field \"{FoundText.Name(entry.Key)}\"{hint}");
        }
    }

    public MappingNode Mapping { get; }

    /// <summary>The value of a field, or null when the mapping does not have it.</summary>
    public StoryNode? this[string name] => _values.GetValueOrDefault(name);

    /// <summary>
    /// Whether an unknown field was reported with this name as its did-you-mean: the field's "missing" error would then
    /// say the same thing twice.
    /// </summary>
    public bool WasMisspelled(string name) => _suggested.Contains(name);
}
