using System.Numerics.Tensors;

namespace TttCluster.Tensors;

/// <summary>Element-wise activations of the model. GELU is the tanh approximation throughout (TTT_SPEC §5).</summary>
public static class Activations
{
    private const float GeluC = 0.7978845608f;   // sqrt(2/π)
    private const float GeluA = 0.044715f;

    public static float Gelu(float u)
    {
        float t = MathF.Tanh(GeluC * (u + GeluA * u * u * u));
        return 0.5f * u * (1f + t);
    }

    /// <summary>d gelu / du = 0.5(1 + t) + 0.5·u·(1 − t²)·c·(1 + 3a·u²).</summary>
    public static float GeluDerivative(float u)
    {
        float t = MathF.Tanh(GeluC * (u + GeluA * u * u * u));
        return 0.5f * (1f + t) + 0.5f * u * (1f - t * t) * GeluC * (1f + 3f * GeluA * u * u);
    }

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

    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);
}
