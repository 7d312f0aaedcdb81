using System.Numerics.Tensors;
using TttCluster.Model.Weights;
using TttCluster.Tensors;
using Tensor = TttCluster.Tensors.Tensor;

namespace TttCluster.Model.Ttt;

/// <summary>
/// The TTT scan alone, in the exchange format of `ttt eval ttt-scan` (docs/MODEL.md §7), so anyone can hold it
/// against another implementation.
/// </summary>
public static class TttScanEval
{
    public static readonly string[] StateNames = ["W1", "b1", "W2", "b2"];

    /// <summary>Runs the scan; returns Z [H, L, d] and the final W1, b1, W2, b2 as named tensors.</summary>
    public static Dictionary<string, Tensor> Run(string weightsPath, string inputsPath, int miniBatch, float eps = 1e-6f)
    {
        if (miniBatch < 1) throw new ArgumentOutOfRangeException(nameof(miniBatch), miniBatch, "--mini-batch must be ≥ 1");
        using var weightsFile = SafetensorsFile.Open(weightsPath);
        Tensor w1 = weightsFile.Read("W1");
        if (w1.Rank != 3 || w1.Shape[2] != 4 * w1.Shape[1])
            throw new WeightsFileException(weightsPath, "W1", $"expected shape [H, d, 4d], found {Tensor.FormatShape(w1.Shape)}");
        int heads = w1.Shape[0], d = w1.Shape[1];
        var weights = WeightSet.Load(weightsFile,
        [
            new("W1", [heads, d, 4 * d]), new("b1", [heads, 4 * d]), new("W2", [heads, 4 * d, d]), new("b2", [heads, d]),
            new("ln_weight", [heads, d]), new("ln_bias", [heads, d]),
        ]);
        using var inputsFile = SafetensorsFile.Open(inputsPath);
        Tensor xq = inputsFile.Read("XQ");
        if (xq.Rank != 3 || xq.Shape[0] != heads || xq.Shape[2] != d)
            throw new WeightsFileException(inputsPath, "XQ", $"expected shape [{heads}, L, {d}] (H and d from the weights), found {Tensor.FormatShape(xq.Shape)}");
        int length = xq.Shape[1];
        var inputs = WeightSet.Load(inputsFile,
            [new("XQ", [heads, length, d]), new("XK", [heads, length, d]), new("XV", [heads, length, d]), new("eta", [heads, length])]);

        var target = new float[heads * length * d];
        TensorPrimitives.Subtract(inputs["XV"].Data, inputs["XK"].Data, target);
        var run = new TttInputs(1, heads, d, length, inputs["XQ"].Data, inputs["XK"].Data, target, inputs["eta"].Data);
        var state = ScanState.Initial(1, heads, d, weights["W1"].Data, weights["b1"].Data, weights["W2"].Data, weights["b2"].Data);
        ScanResult result = TttScanner.Scan(state, run, 0, isLast: true, miniBatch, weights["ln_weight"].Data, weights["ln_bias"].Data, eps);
        return new Dictionary<string, Tensor>
        {
            ["Z"] = new(result.Output, heads, length, d),
            ["W1"] = new(state.W1, heads, d, 4 * d),
            ["b1"] = new(state.B1, heads, 4 * d),
            ["W2"] = new(state.W2, heads, 4 * d, d),
            ["b2"] = new(state.B2, heads, d),
        };
    }
}
