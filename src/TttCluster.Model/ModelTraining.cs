using System.Text.Json;
using TttCluster.Model.Weights;

namespace TttCluster.Model;

/// <summary>
/// How a trained model file was made: the <c>ttt_training</c> metadata entry that tools/train/train.py writes (JSON:
/// data, autoencoderSteps, denoiserSteps, seed, date, code, objective). `ttt info` prints it, so a user can tell what a
/// model learnt from before judging its videos. A model file is untrusted input: a malformed entry is refused with the
/// field, what was expected and what was found.
/// </summary>
public sealed record ModelTraining(string Data, long AutoencoderSteps, long DenoiserSteps, long Seed, string Date, string Code, string Objective)
{
    public const string MetadataKey = "ttt_training";

    public static ModelTraining Parse(string json, string path)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Problem(path, $"expected JSON, found text that is not ({e.Message})");
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw Problem(path, $"expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}");
        return new ModelTraining(
            Text(root, "data", path), Count(root, "autoencoderSteps", path), Count(root, "denoiserSteps", path),
            Count(root, "seed", path), Text(root, "date", path), Text(root, "code", path), Text(root, "objective", path));
    }

    /// <summary>The lines `ttt info` prints under "weights: trained".</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"training: {AutoencoderSteps:N0} autoencoder steps, then {DenoiserSteps:N0} denoiser steps; seed {Seed}; {Date}; {Code}";
        yield return $"training data: {Data}";
        yield return $"training objective: {Objective}";
    }

    private static string Text(JsonElement root, string field, string path) =>
        Field(root, field, path) is var v && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw Problem(path, $"{field}: expected a string, found {Shown(v)}");

    private static long Count(JsonElement root, string field, string path) =>
        Field(root, field, path) is var v && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) && n >= 0 ? n
            : throw Problem(path, $"{field}: expected a whole number ≥ 0, found {Shown(v)}");

    private static JsonElement Field(JsonElement root, string field, string path) =>
        root.TryGetProperty(field, out var v) ? v : throw Problem(path, $"{field}: expected a field, found none");

    /// <summary>The value as written, cut to 40 characters (an untrusted file can hold anything there).</summary>
    private static string Shown(JsonElement value)
    {
        string raw = value.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "…";
    }

    private static WeightsFileException Problem(string path, string problem) =>
        new(path, null, $"__metadata__ {MetadataKey}: {problem}", "written by tools/train/train.py; see tools/train/README.md");
}
