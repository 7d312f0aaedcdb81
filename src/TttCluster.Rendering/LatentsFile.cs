using System.Globalization;
using TttCluster.Model;
using TttCluster.Model.Weights;
using TttCluster.Tensors;

namespace TttCluster.Rendering;

/// <summary>
/// Final (or, after Ctrl-C, last completed) latents as safetensors: tensor <c>latents</c> [T, C, H, W] plus metadata
/// (seed, steps done of steps, segments), so two runs can be compared bit for bit.
/// </summary>
public static class LatentsFile
{
    public static void Write(string path, float[] latents, SequenceLayout layout, RenderRequest request, int stepsDone)
    {
        var c = layout.Config;
        var metadata = new Dictionary<string, string>
        {
            ["seed"] = request.Seed.ToString(CultureInfo.InvariantCulture),
            ["steps_done"] = stepsDone.ToString(CultureInfo.InvariantCulture),
            ["steps"] = request.Sampler.Steps.ToString(CultureInfo.InvariantCulture),
            ["guidance"] = request.Sampler.Guidance.ToString("R", CultureInfo.InvariantCulture),
            ["segments"] = layout.Segments.ToString(CultureInfo.InvariantCulture),
        };
        var tensor = new Tensor(latents, layout.Frames, c.LatentChannels, c.LatentHeight, c.LatentWidth);
        SafetensorsWriter.Write(path, [new("latents", tensor)], metadata);
    }

    public static float[] Read(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.Read("latents").Data;
    }
}
