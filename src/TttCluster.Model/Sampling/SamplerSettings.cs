namespace TttCluster.Model.Sampling;

/// <summary>How to sample: steps N, the CFG scale S and the power p of its schedule s(k) = 1 + S·(1 − cos(π(k/N)^p))/2.</summary>
public sealed record SamplerSettings(int Steps = 20, double Guidance = 4.0, double GuidancePower = 1.0)
{
    /// <summary>
    /// A model file's own defaults for stories that leave a setting out (JSON: steps, guidance, guidancePower), as its
    /// trainer measured them best; a file without the entry gets the engine's (this record's defaults).
    /// </summary>
    public const string MetadataKey = "ttt_sampler";

    /// <summary>Reads <see cref="MetadataKey"/>; the ranges are the ones a story may ask for (StoryLimits).</summary>
    public static SamplerSettings FromMetadata(string json, string path)
    {
        var entry = MetadataJson.Parse(json, path, MetadataKey, "written by tools/train/set_sampler.py; see tools/train/README.md");
        return new SamplerSettings((int)entry.Count("steps", 1, 200), entry.Number("guidance", 0, 30), entry.Number("guidancePower", 0, 10));
    }

    public string Describe() => $"{Steps} steps, guidance {Guidance:0.0##} (power {GuidancePower:0.0##})";
}
