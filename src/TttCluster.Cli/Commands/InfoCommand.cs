using TttCluster.Model;
using TttCluster.Model.Decoding;
using TttCluster.Model.Parameters;
using TttCluster.Model.Weights;

namespace TttCluster.Cli.Commands;

/// <summary>`ttt info WEIGHTS`: a model file's config and tensor inventory, checked against that config.</summary>
public static class InfoCommand
{
    public static readonly CliCommand Command = new("info", "info WEIGHTS.safetensors",
        "print a model file's config and tensor inventory, validated",
        "Checks every tensor's name, shape and values against the config the file declares, without running anything.",
        [],
        Run);

    private static int Run(CliArguments a, CliContext context)
    {
        var output = context.Output;
        a.AtMostPositionals(1, "info");
        string path = a.Positional(0, "the weights file (ttt info WEIGHTS.safetensors)");
        OutputFiles.CheckReadable("WEIGHTS", path, "a weights file (.safetensors)");
        bool isBundle;
        using (var file = SafetensorsFile.Open(path))
        {
            output.WriteLine($"{path}: {file.Tensors.Count} tensors");
            foreach (var t in file.Tensors)
                output.WriteLine($"  {t.Name,-36} {t.DType,-5} {Tensors.Tensor.FormatShape(t.Shape.ToArray())}");
            isBundle = file.Metadata.ContainsKey(TinyDecoderConfig.MetadataKey);
        }
        // Validates names, shapes and values against the configs the file declares.
        ModelParameters p;
        if (isBundle)
        {
            var bundle = ModelBundle.Load(path);
            p = bundle.Dit;
            output.WriteLine($"renderable model: DiT + text encoder ({bundle.TextEncoder.TokensPerSegment} tokens a scene) + decoder " +
                             $"({bundle.Decoder.Width}×{bundle.Decoder.Height} at {bundle.Decoder.FramesPerSecond} fps)");
            output.WriteLine(bundle.IsTrained ? "weights: trained" + (bundle.Training is null ? " (the file does not say how)" : "")
                : "weights: seeded initialisation, NOT trained (videos show the untrained model's output)");
            foreach (string line in bundle.Training?.Describe() ?? []) output.WriteLine(line);
            output.WriteLine($"sampler defaults (for stories that leave them out): {bundle.SamplerDefaults.Describe()}" +
                             (bundle.HasOwnSamplerDefaults ? ", the file's own" : ", the engine's (the file names none)"));
        }
        else p = ModelFile.Load(path);
        var c = p.Config;
        output.WriteLine($"config: {c.ToJson()}");
        output.WriteLine($"parameters: {ParameterInventory.CountParameters(c):N0}; {c.Layers} layers, width {c.Width}, {c.Heads} heads × {c.HeadDim}, " +
                          $"mini-batch {c.MiniBatch}, {c.TokensPerFrame} tokens per latent frame, {c.TextTokensPerSegment} text tokens per segment");
        output.WriteLine("all tensors present, shaped as the config says, and finite");
        return 0;
    }
}
