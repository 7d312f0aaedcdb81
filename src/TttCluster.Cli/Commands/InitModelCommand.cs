using TttCluster.Model;
using TttCluster.Model.Decoding;

namespace TttCluster.Cli.Commands;

/// <summary>`ttt init-model --seed S --out FILE`: writes a seeded (untrained) model file for `ttt render`.</summary>
public static class InitModelCommand
{
    public static readonly CliCommand Command = new("init-model", "init-model --seed S --out FILE [--preset tiny]",
        "write a seeded (untrained) Tiny model file",
        "The shipped models/tiny.safetensors is trained (tools/train); this writes the same preset with seeded, untrained weights.",
        [
            new("--seed", "S", "the initialisation seed, a whole number ≥ 0 (required)"),
            new("--out", "FILE", "the model file to write (required; checked before any work)"),
            new("--preset", "tiny", "the model size; tiny is the only preset small enough to ship with a renderer"),
        ],
        Run);

    private static int Run(CliArguments a, CliContext context)
    {
        a.AtMostPositionals(0, "init-model");
        string preset = a.Optional("--preset") ?? "tiny";
        if (preset != "tiny")
            throw new CliException($"--preset: expected tiny (the only preset small enough to ship with a renderer), found '{preset}'");
        ulong seed = a.OptionalSeed("--seed") ?? throw new CliException("missing required option --seed");
        string path = a.Required("--out");
        OutputFiles.CheckWritable("--out", path, ".safetensors");
        var config = ModelConfig.Tiny();
        var decoder = new TinyDecoderConfig();
        var tensors = ModelBundle.InitializeTensors(config, decoder, ModelBundle.DefaultVocabularySize, seed);
        ModelBundle.Save(path, config, decoder, ModelBundle.DefaultVocabularySize, tensors, trained: false);
        context.Output.WriteLine($"wrote {path}: Tiny model, seeded initialisation (seed {seed}), not trained");
        return 0;
    }
}
