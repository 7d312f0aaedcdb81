namespace TttCluster.Model;

/// <summary>A config or sequence shape the model cannot run: names the field, what was expected and what was found.</summary>
public sealed class ModelConfigException(string field, string expected, string found)
    : Exception($"model config field '{field}': expected {expected}, found {found}")
{
    public string Field { get; } = field;
    public string Expected { get; } = expected;
    public string Found { get; } = found;
}
