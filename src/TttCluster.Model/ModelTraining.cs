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
        var entry = MetadataJson.Parse(json, path, MetadataKey, "written by tools/train/train.py; see tools/train/README.md");
        return new ModelTraining(entry.Text("data"), entry.Count("autoencoderSteps"), entry.Count("denoiserSteps"),
            entry.Count("seed"), entry.Text("date"), entry.Text("code"), entry.Text("objective"));
    }

    /// <summary>The lines `ttt info` prints under "weights: trained".</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"training: {AutoencoderSteps:N0} autoencoder steps, then {DenoiserSteps:N0} denoiser steps; seed {Seed}; {Date}; {Code}";
        yield return $"training data: {Data}";
        yield return $"training objective: {Objective}";
    }
}
