using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// e^x for x ≤ 0 in registers: range reduction to 2ⁿ·e^r (|r| ≤ ln2/2), a degree-6 polynomial, relative error below
/// 3e-7; inputs below −87 give e^−87 (2ⁿ stays a normal float). The runtime's Vector256/512.Exp computes in double
/// precision and is about four times slower; softmax and GELU's tanh only ever need e to a non-positive power.
/// The two widths compute the same steps with the same constants.
/// </summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504f;
    private const float Ln2High = 0.693145752f;      // ln 2 split so n·Ln2High is exact for |n| < 2^9
    private const float Ln2Low = 1.42860677e-6f;
    private const float MinExponent = -87.0f;        // e^-87 ≈ 1.6e-38: zero next to any term of size 1

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> OfNonPositive(Vector512<float> x)
    {
        x = Vector512.Max(x, Vector512.Create(MinExponent));
        Vector512<float> n = Vector512.Round(x * Vector512.Create(Log2E));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);

        Vector512<float> p = Vector512.Create(1f / 720);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);

        Vector512<int> twoToN = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23);
        return p * twoToN.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> OfNonPositive(Vector256<float> x)
    {
        x = Vector256.Max(x, Vector256.Create(MinExponent));
        Vector256<float> n = Vector256.Round(x * Vector256.Create(Log2E));
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), r);

        Vector256<float> p = Vector256.Create(1f / 720);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);

        Vector256<int> twoToN = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23);
        return p * twoToN.AsSingle();
    }
}
