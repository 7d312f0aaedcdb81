using TttCluster.Model.Ttt;
using TttCluster.Model.Weights;

namespace TttCluster.Cli.Commands;

/// <summary>`ttt eval ttt-scan ...`: runs one component on inputs from files, for checks against other implementations.</summary>
public static class EvalCommand
{
    public static readonly CliCommand Command = new("eval", "eval ttt-scan --weights W.safetensors --inputs IN.safetensors --out OUT.safetensors --mini-batch B",
        "run the TTT scan alone on inputs from files (docs/MODEL.md §7), to check another implementation against ours",
        """
        Weights: W1 [H,d,4d], b1 [H,4d], W2 [H,4d,d], b2 [H,d], ln_weight and ln_bias [H,d]. Inputs: XQ, XK, XV [H,L,d]
        and eta [H,L]. The output holds Z [H,L,d] and the final W1, b1, W2, b2.
        """,
        [
            new("--weights", "W.safetensors", "the scan's initial state and inner LayerNorm (required)"),
            new("--inputs", "IN.safetensors", "XQ, XK, XV and eta (required)"),
            new("--out", "OUT.safetensors", "where Z and the final state go (required)"),
            new("--mini-batch", "B", "tokens per mini-batch, 1 or more (required)"),
        ],
        Run);

    private static int Run(CliArguments a, CliContext context)
    {
        if (a.Positionals.Count == 0 || a.Positionals[0] != "ttt-scan")
            throw new CliException($"eval: expected a component (ttt-scan), found {(a.Positionals.Count == 0 ? "nothing" : $"'{a.Positionals[0]}'")}. Usage: ttt {Command.Usage}");
        a.AtMostPositionals(1, "eval");
        string weights = a.Required("--weights"), inputs = a.Required("--inputs"), outPath = a.Required("--out");
        int miniBatch = a.RequiredInt("--mini-batch", 1, 1 << 20);
        OutputFiles.CheckReadable("--weights", weights, "a weights file (.safetensors)");
        OutputFiles.CheckReadable("--inputs", inputs, "an inputs file (.safetensors)");
        OutputFiles.CheckWritable("--out", outPath);
        var result = TttScanEval.Run(weights, inputs, miniBatch);
        SafetensorsWriter.Write(outPath, result, new Dictionary<string, string> { ["mini_batch"] = miniBatch.ToString() });
        context.Output.WriteLine($"wrote {outPath}: Z {Tensors.Tensor.FormatShape(result["Z"].Shape)} and the final state W1, b1, W2, b2");
        return 0;
    }
}
