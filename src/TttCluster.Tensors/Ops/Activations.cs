using System.Numerics.Tensors;

namespace TttCluster.Tensors;

/// <summary>Element-wise activations of the model. GELU is the tanh approximation throughout (TTT_SPEC §5).</summary>
public static class Activations
{
    /// <summary>y = gelu(x), vectorised in one pass (<see cref="GeluKernel"/>).</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        Guard.SameLength(x, y);
        GeluKernel.Forward(x, y, default, withDerivative: false);
    }

    /// <summary>y = gelu(x) and dydx = gelu′(x) from one shared tanh (the TTT inner loop needs both).</summary>
    public static void GeluWithDerivative(ReadOnlySpan<float> x, Span<float> y, Span<float> dydx)
    {
        Guard.SameLength(x, y);
        Guard.SameLength(x, dydx);
        GeluKernel.Forward(x, y, dydx, withDerivative: true);
    }

    public static float Sigmoid(float u) => 1f / (1f + MathF.Exp(-u));

    public static float Silu(float u) => u / (1f + MathF.Exp(-u));

    public static void Silu(ReadOnlySpan<float> x, Span<float> y)
    {
        Guard.SameLength(x, y);
        for (int i = 0; i < x.Length; i++) y[i] = Silu(x[i]);
    }

}
