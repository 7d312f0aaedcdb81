using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TttCluster.Tensors;

/// <summary>
/// GELU (tanh form) and its derivative in one pass, in registers: tanh(z) = 1 − 2/(1 + e^{2z}) with Vector512.Exp.
/// The tail of a span goes through the same vector code on a padded copy, so an element's result never depends on
/// where it sits in the span (the engine relies on that for bit-identical results across splits).
/// </summary>
internal static class GeluKernel
{
    private const float C = 0.7978845608f, A = 0.044715f;

    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> dydx, bool withDerivative)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            for (int i = 0; i < x.Length; i++)
            {
                float u = x[i], t = MathF.Tanh(C * (u + A * u * u * u));
                y[i] = 0.5f * u * (1f + t);
                if (withDerivative) dydx[i] = 0.5f * (1f + t) + 0.5f * u * (1f - t * t) * C * (1f + 3f * A * u * u);
            }
            return;
        }
        int n = x.Length, whole = n - n % 16;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float dr = ref MemoryMarshal.GetReference(dydx);
        for (int i = 0; i < whole; i += 16)
        {
            var (g, dg) = Compute(Vector512.LoadUnsafe(ref xr, (nuint)i));
            g.StoreUnsafe(ref yr, (nuint)i);
            if (withDerivative) dg.StoreUnsafe(ref dr, (nuint)i);
        }
        if (whole < n)
        {
            Span<float> pad = stackalloc float[16];
            pad.Clear();
            x[whole..].CopyTo(pad);
            var (g, dg) = Compute(Vector512.Create((ReadOnlySpan<float>)pad));
            Span<float> outPad = stackalloc float[16];
            g.CopyTo(outPad);
            outPad[..(n - whole)].CopyTo(y[whole..]);
            if (withDerivative)
            {
                dg.CopyTo(outPad);
                outPad[..(n - whole)].CopyTo(dydx[whole..]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Gelu, Vector512<float> Derivative) Compute(Vector512<float> u)
    {
        var one = Vector512.Create(1f);
        var half = Vector512.Create(0.5f);
        var u2 = u * u;
        var z = Vector512.Create(C) * u * (one + Vector512.Create(A) * u2);
        // tanh(z) = 1 − 2/(1 + e^{2z}); e^{2z} overflows to +∞ for large z, which gives exactly 1.
        var e = Vector512.Exp(z + z);
        var t = one - Vector512.Create(2f) / (one + e);
        var onePlusT = one + t;
        var gelu = half * u * onePlusT;
        var derivative = half * onePlusT + half * u * (one - t * t) * Vector512.Create(C) * (one + Vector512.Create(3f * A) * u2);
        return (gelu, derivative);
    }
}
