using TttCluster.Model.Ttt;
using TttCluster.Model.Weights;

namespace TttCluster.Cli.Commands;

/// <summary>`ttt eval COMPONENT ...`: runs one component on inputs from files, for checks against other implementations.</summary>
public static class EvalCommand
{
    public const string Usage = "ttt eval ttt-scan --weights W.safetensors --inputs IN.safetensors --out OUT.safetensors --mini-batch B";

    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length == 0 || args[0] != "ttt-scan")
            throw new CliException($"eval: expected a component (ttt-scan), found {(args.Length == 0 ? "nothing" : $"'{args[0]}'")}. Usage: {Usage}");
        var a = new CliArguments(args.Skip(1), new HashSet<string> { "--weights", "--inputs", "--out", "--mini-batch" }, new HashSet<string>());
        string weights = a.Required("--weights"), inputs = a.Required("--inputs"), outPath = a.Required("--out");
        int miniBatch = a.RequiredInt("--mini-batch", 1, 1 << 20);
        var result = TttScanEval.Run(weights, inputs, miniBatch);
        SafetensorsWriter.Write(outPath, result, new Dictionary<string, string> { ["mini_batch"] = miniBatch.ToString() });
        output.WriteLine($"wrote {outPath}: Z {Tensors.Tensor.FormatShape(result["Z"].Shape)} and the final state W1, b1, W2, b2");
        return 0;
    }
}
