using System.Text.Json;
using TttCluster.Model.Weights;

namespace TttCluster.Model;

/// <summary>
/// Reads one JSON object from a model file's <c>__metadata__</c> entry (untrusted input): every problem names the
/// entry, the field, what was expected and what was found, as a <see cref="WeightsFileException"/>.
/// </summary>
internal sealed class MetadataJson
{
    private readonly JsonElement _root;
    private readonly string _path, _key, _hint;

    private MetadataJson(JsonElement root, string path, string key, string hint) => (_root, _path, _key, _hint) = (root, path, key, hint);

    /// <param name="hint">Where the entry comes from, for the error's second line, e.g. "written by tools/train/train.py".</param>
    public static MetadataJson Parse(string json, string path, string key, string hint)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Problem(path, key, hint, $"expected JSON, found text that is not ({e.Message})");
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw Problem(path, key, hint, $"expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}");
        return new MetadataJson(root, path, key, hint);
    }

    public string Text(string field) =>
        Field(field) is var v && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw Problem($"{field}: expected a string, found {Shown(v)}");

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public long Count(string field, long min = 0, long max = long.MaxValue) =>
        Field(field) is var v && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) && n >= min && n <= max ? n
            : throw Problem($"{field}: expected a whole number {Range(min, max)}, found {Shown(v)}");

    /// <summary>A finite number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public double Number(string field, double min, double max) =>
        Field(field) is var v && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double x) && double.IsFinite(x) && x >= min && x <= max ? x
            : throw Problem($"{field}: expected a number from {min} to {max}, found {Shown(v)}");

    private static string Range(long min, long max) => max == long.MaxValue ? $"≥ {min}" : $"from {min} to {max}";

    private JsonElement Field(string field) =>
        _root.TryGetProperty(field, out var v) ? v : throw Problem($"{field}: expected a field, found none");

    /// <summary>The value as written, cut to 40 characters (an untrusted file can hold anything there).</summary>
    private static string Shown(JsonElement value)
    {
        string raw = value.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "…";
    }

    private WeightsFileException Problem(string problem) => Problem(_path, _key, _hint, problem);

    private static WeightsFileException Problem(string path, string key, string hint, string problem) =>
        new(path, null, $"__metadata__ {key}: {problem}", hint);
}
