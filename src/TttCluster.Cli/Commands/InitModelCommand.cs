using TttCluster.Model;
using TttCluster.Model.Decoding;

namespace TttCluster.Cli.Commands;

/// <summary>`ttt init-model --preset tiny --seed S --out FILE`: writes a seeded (untrained) model file for `ttt render`.</summary>
public static class InitModelCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        var a = new CliArguments(args, new HashSet<string> { "--preset", "--seed", "--out" }, new HashSet<string>());
        string preset = a.Optional("--preset") ?? "tiny";
        if (preset != "tiny")
            throw new CliException($"--preset: expected tiny (the only preset small enough to ship with a renderer), found '{preset}'");
        string raw = a.Required("--seed");
        if (!ulong.TryParse(raw, out ulong seed)) throw new CliException($"--seed: expected a whole number ≥ 0, found '{raw}'");
        string path = a.Required("--out");
        var config = ModelConfig.Tiny();
        var decoder = new TinyDecoderConfig();
        var tensors = ModelBundle.InitializeTensors(config, decoder, ModelBundle.DefaultVocabularySize, seed);
        ModelBundle.Save(path, config, decoder, ModelBundle.DefaultVocabularySize, tensors, trained: false);
        output.WriteLine($"wrote {path}: Tiny model, seeded initialisation (seed {seed}), not trained");
        return 0;
    }
}
