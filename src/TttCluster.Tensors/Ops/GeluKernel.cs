using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TttCluster.Tensors.Kernels;

namespace TttCluster.Tensors;

/// <summary>
/// GELU (tanh form) and its derivative in one pass, in registers, on the widest vectors the CPU runs natively
/// (AVX-512: 16 lanes; AVX2: 8): tanh(z) = sign(z)·(1 − e)/(1 + e) with e = e^{−2|z|} from <see cref="FastExp"/>, whose
/// argument is never positive. The scalar MathF.Tanh fallback and the runtime's vector Exp are several times slower,
/// and GELU is in every MLP, every TTT inner step and the decoder's per-pixel MLP.
/// The tail of a span goes through the same vector code on a padded copy, so an element's result never depends on
/// where it sits in the span (the engine relies on that for bit-identical results across splits).
/// </summary>
internal static class GeluKernel
{
    private const float C = 0.7978845608f, A = 0.044715f;

    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> dydx, bool withDerivative)
    {
        if (Vector512.IsHardwareAccelerated)
            Run<Lanes512>(x, y, dydx, withDerivative);
        else if (Vector256.IsHardwareAccelerated)
            Run<Lanes256>(x, y, dydx, withDerivative);
        else
        {
            for (int i = 0; i < x.Length; i++)
            {
                float u = x[i], t = MathF.Tanh(C * (u + A * u * u * u));
                y[i] = 0.5f * u * (1f + t);
                if (withDerivative) dydx[i] = 0.5f * (1f + t) + 0.5f * u * (1f - t * t) * C * (1f + 3f * A * u * u);
            }
        }
    }

    /// <summary>One vector width's GELU: <c>Count</c> elements from <c>x</c> at <c>i</c> into <c>y</c> (and <c>dydx</c>).</summary>
    private interface ILanes
    {
        static abstract int Count { get; }
        static abstract void Apply(ref float x, ref float y, ref float dydx, nuint i, bool withDerivative);
    }

    /// <summary>Whole vectors in place, then the tail through a zero-padded copy (the width is at most 16).</summary>
    private static void Run<TLanes>(ReadOnlySpan<float> x, Span<float> y, Span<float> dydx, bool withDerivative) where TLanes : struct, ILanes
    {
        int n = x.Length, whole = n - n % TLanes.Count;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float dr = ref MemoryMarshal.GetReference(dydx);
        for (int i = 0; i < whole; i += TLanes.Count)
            TLanes.Apply(ref xr, ref yr, ref dr, (nuint)i, withDerivative);
        if (whole == n)
            return;
        Span<float> xPad = stackalloc float[16], yPad = stackalloc float[16], dPad = stackalloc float[16];
        xPad.Clear();
        x[whole..].CopyTo(xPad);
        TLanes.Apply(ref xPad[0], ref yPad[0], ref dPad[0], 0, withDerivative);
        yPad[..(n - whole)].CopyTo(y[whole..]);
        if (withDerivative) dPad[..(n - whole)].CopyTo(dydx[whole..]);
    }

    // The two widths below compute the same expressions in the same order; only the vector type differs.
    private struct Lanes512 : ILanes
    {
        public static int Count => Vector512<float>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Apply(ref float x, ref float y, ref float dydx, nuint i, bool withDerivative)
        {
            var u = Vector512.LoadUnsafe(ref x, i);
            var one = Vector512.Create(1f);
            var half = Vector512.Create(0.5f);
            var u2 = u * u;
            var z = Vector512.Create(C) * u * (one + Vector512.Create(A) * u2);
            var e = FastExp.OfNonPositive(-Vector512.Abs(z + z));
            // (1 − e)/(1 + e) is tanh(|z|); the sign bit comes from z. For large |z|, e is e^−87 and this gives exactly 1.
            var t = Vector512.ConditionalSelect(Vector512.Create(-0f), z, (one - e) / (one + e));
            var onePlusT = one + t;
            (half * u * onePlusT).StoreUnsafe(ref y, i);
            if (withDerivative)
                (half * onePlusT + half * u * (one - t * t) * Vector512.Create(C) * (one + Vector512.Create(3f * A) * u2)).StoreUnsafe(ref dydx, i);
        }
    }

    private struct Lanes256 : ILanes
    {
        public static int Count => Vector256<float>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Apply(ref float x, ref float y, ref float dydx, nuint i, bool withDerivative)
        {
            var u = Vector256.LoadUnsafe(ref x, i);
            var one = Vector256.Create(1f);
            var half = Vector256.Create(0.5f);
            var u2 = u * u;
            var z = Vector256.Create(C) * u * (one + Vector256.Create(A) * u2);
            var e = FastExp.OfNonPositive(-Vector256.Abs(z + z));
            // (1 − e)/(1 + e) is tanh(|z|); the sign bit comes from z. For large |z|, e is e^−87 and this gives exactly 1.
            var t = Vector256.ConditionalSelect(Vector256.Create(-0f), z, (one - e) / (one + e));
            var onePlusT = one + t;
            (half * u * onePlusT).StoreUnsafe(ref y, i);
            if (withDerivative)
                (half * onePlusT + half * u * (one - t * t) * Vector256.Create(C) * (one + Vector256.Create(3f * A) * u2)).StoreUnsafe(ref dydx, i);
        }
    }
}
