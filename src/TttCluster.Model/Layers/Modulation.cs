using System.Numerics.Tensors;
using TttCluster.Tensors;

namespace TttCluster.Model.Layers;

/// <summary>The six adaLN vectors of one modulation head, in the order they come out of the Linear (docs/MODEL.md §5).</summary>
public sealed class Modulation
{
    public float[] ShiftVideo { get; }
    public float[] ScaleVideo { get; }
    public float[] GateVideo { get; }
    public float[] ShiftText { get; }
    public float[] ScaleText { get; }
    public float[] GateText { get; }

    /// <summary>Splits the [6D] output of an ada Linear.</summary>
    public Modulation(float[] six, int width)
    {
        float[] Chunk(int i) => six.AsSpan(i * width, width).ToArray();
        ShiftVideo = Chunk(0); ScaleVideo = Chunk(1); GateVideo = Chunk(2);
        ShiftText = Chunk(3); ScaleText = Chunk(4); GateText = Chunk(5);
    }

    /// <summary>y = LN(x)·(1 + scale) + shift for each row; LN affine with γ, β when given (may be empty).</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, int rows, int width, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, ReadOnlySpan<float> shift, ReadOnlySpan<float> scale)
    {
        LayerNormKernel.Forward(x, y, rows, width, gamma, beta, eps);
        Span<float> onePlusScale = width <= 4096 ? stackalloc float[width] : new float[width];
        TensorPrimitives.Add(scale, 1f, onePlusScale);
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = y.Slice(r * width, width);
            TensorPrimitives.FusedMultiplyAdd(row, onePlusScale, shift, row);
        }
    }
}
