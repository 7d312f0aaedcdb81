using System.Numerics.Tensors;
using TttCluster.Model.Parameters;
using TttCluster.Tensors;

namespace TttCluster.Model.Layers;

/// <summary>y = x·Wᵀ + b over rows of x, through the GEMM backend.</summary>
public static class Linear
{
    /// <summary><paramref name="x"/> [rows, In] → <paramref name="y"/> [rows, Out].</summary>
    public static void Forward(LinearWeights layer, ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        Guard.Length(x, rows * layer.In);
        Guard.Length(y, rows * layer.Out);
        if (layer.WeightTransposed is { } wt)
            Gemm.Sgemm(false, false, rows, layer.Out, layer.In, 1f, x, layer.In, wt, layer.Out, 0f, y, layer.Out);
        else
            Gemm.Sgemm(false, true, rows, layer.Out, layer.In, 1f, x, layer.In, layer.Weight, layer.In, 0f, y, layer.Out);
        AddRowVector(y[..(rows * layer.Out)], rows, layer.Bias);
    }

    /// <summary>One input vector: y = W·x + b (the adaLN and time-embedding layers).</summary>
    public static float[] ForwardVector(LinearWeights layer, ReadOnlySpan<float> x)
    {
        var y = new float[layer.Out];
        Forward(layer, x, 1, y);
        return y;
    }

    /// <summary>Adds <paramref name="bias"/> to each row of <paramref name="y"/> [rows, bias.Length].</summary>
    public static void AddRowVector(Span<float> y, int rows, ReadOnlySpan<float> bias)
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(y.Slice(r * bias.Length, bias.Length), bias, y.Slice(r * bias.Length, bias.Length));
    }
}
