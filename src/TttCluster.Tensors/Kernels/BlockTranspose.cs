using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Out-of-place matrix transpose, dst[c·dstStride + r] = src[r·srcStride + c]. Packing a transposed B (and a
/// non-transposed A) is exactly this, and on small products a scalar copy costs as much as the multiply itself;
/// blocks are transposed in registers instead: 16×16 with AVX-512 (64 shuffles per 256 floats), else 8×8 with
/// AVX (24 per 64), scalar only at the edges.
/// </summary>
internal static unsafe class BlockTranspose
{
    public static void Transpose(float* src, nint srcStride, int rows, int cols, float* dst, nint dstStride)
    {
        int r = 0;
        if (Avx512F.IsSupported)
        {
            for (; r + 16 <= rows; r += 16)
            {
                int c = 0;
                for (; c + 16 <= cols; c += 16)
                    Transpose16x16(src + r * srcStride + c, srcStride, dst + c * dstStride + r, dstStride);
                TransposeIn8x8Blocks(src + r * srcStride + c, srcStride, 16, cols - c, dst + c * dstStride + r, dstStride);
            }
        }
        TransposeIn8x8Blocks(src + r * srcStride, srcStride, rows - r, cols, dst + r, dstStride);
    }

    private static void TransposeIn8x8Blocks(float* src, nint srcStride, int rows, int cols, float* dst, nint dstStride)
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            for (; r + 8 <= rows; r += 8)
            {
                int c = 0;
                for (; c + 8 <= cols; c += 8)
                    Transpose8x8(src + r * srcStride + c, srcStride, dst + c * dstStride + r, dstStride);
                TransposeScalar(src + r * srcStride + c, srcStride, 8, cols - c, dst + c * dstStride + r, dstStride);
            }
        }
        TransposeScalar(src + r * srcStride, srcStride, rows - r, cols, dst + r, dstStride);
    }

    private static void TransposeScalar(float* src, nint srcStride, int rows, int cols, float* dst, nint dstStride)
    {
        for (int r = 0; r < rows; r++)
        {
            float* source = src + r * srcStride;
            float* target = dst + r;
            for (int c = 0; c < cols; c++)
                target[c * dstStride] = source[c];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16x16(float* src, nint srcStride, float* dst, nint dstStride)
    {
        // Within 128-bit lanes first (unpack, shuffle): lane L of qJC then holds column 4L + C of rows
        // 4J..4J+3. Two rounds of whole-lane shuffles then gather the four lanes of each column.
        QuadTranspose(src + 0 * srcStride, srcStride, out Vector512<float> q00, out Vector512<float> q01, out Vector512<float> q02, out Vector512<float> q03);
        QuadTranspose(src + 4 * srcStride, srcStride, out Vector512<float> q10, out Vector512<float> q11, out Vector512<float> q12, out Vector512<float> q13);
        QuadTranspose(src + 8 * srcStride, srcStride, out Vector512<float> q20, out Vector512<float> q21, out Vector512<float> q22, out Vector512<float> q23);
        QuadTranspose(src + 12 * srcStride, srcStride, out Vector512<float> q30, out Vector512<float> q31, out Vector512<float> q32, out Vector512<float> q33);
        StoreColumns(dst + 0 * dstStride, dstStride, q00, q10, q20, q30);
        StoreColumns(dst + 1 * dstStride, dstStride, q01, q11, q21, q31);
        StoreColumns(dst + 2 * dstStride, dstStride, q02, q12, q22, q32);
        StoreColumns(dst + 3 * dstStride, dstStride, q03, q13, q23, q33);
    }

    /// <summary>Rows 0..3 → four vectors; lane L of result c is column 4L + c of the four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuadTranspose(float* rows, nint stride, out Vector512<float> c0, out Vector512<float> c1, out Vector512<float> c2, out Vector512<float> c3)
    {
        Vector512<float> r0 = Avx512F.LoadVector512(rows), r1 = Avx512F.LoadVector512(rows + stride);
        Vector512<float> r2 = Avx512F.LoadVector512(rows + 2 * stride), r3 = Avx512F.LoadVector512(rows + 3 * stride);
        Vector512<float> low01 = Avx512F.UnpackLow(r0, r1), high01 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> low23 = Avx512F.UnpackLow(r2, r3), high23 = Avx512F.UnpackHigh(r2, r3);
        c0 = Avx512F.Shuffle(low01, low23, 0x44);
        c1 = Avx512F.Shuffle(low01, low23, 0xEE);
        c2 = Avx512F.Shuffle(high01, high23, 0x44);
        c3 = Avx512F.Shuffle(high01, high23, 0xEE);
    }

    /// <summary>From the four row-groups' vectors for one c, writes output rows (columns of src) c, 4 + c, 8 + c, 12 + c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(float* dst, nint stride, Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3)
    {
        Vector512<float> even01 = Avx512F.Shuffle4x128(g0, g1, 0x88), odd01 = Avx512F.Shuffle4x128(g0, g1, 0xDD);
        Vector512<float> even23 = Avx512F.Shuffle4x128(g2, g3, 0x88), odd23 = Avx512F.Shuffle4x128(g2, g3, 0xDD);
        Avx512F.Store(dst, Avx512F.Shuffle4x128(even01, even23, 0x88));
        Avx512F.Store(dst + 4 * stride, Avx512F.Shuffle4x128(odd01, odd23, 0x88));
        Avx512F.Store(dst + 8 * stride, Avx512F.Shuffle4x128(even01, even23, 0xDD));
        Avx512F.Store(dst + 12 * stride, Avx512F.Shuffle4x128(odd01, odd23, 0xDD));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        // Rows a..h. Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        Vector256<float> a = Avx.LoadVector256(src), b = Avx.LoadVector256(src + srcStride);
        Vector256<float> c = Avx.LoadVector256(src + 2 * srcStride), d = Avx.LoadVector256(src + 3 * srcStride);
        Vector256<float> e = Avx.LoadVector256(src + 4 * srcStride), f = Avx.LoadVector256(src + 5 * srcStride);
        Vector256<float> g = Avx.LoadVector256(src + 6 * srcStride), h = Avx.LoadVector256(src + 7 * srcStride);

        Vector256<float> ab0 = Avx.UnpackLow(a, b), ab1 = Avx.UnpackHigh(a, b);   // a0 b0 a1 b1 | a4 b4 a5 b5 ; a2 b2 a3 b3 | a6 b6 a7 b7
        Vector256<float> cd0 = Avx.UnpackLow(c, d), cd1 = Avx.UnpackHigh(c, d);
        Vector256<float> ef0 = Avx.UnpackLow(e, f), ef1 = Avx.UnpackHigh(e, f);
        Vector256<float> gh0 = Avx.UnpackLow(g, h), gh1 = Avx.UnpackHigh(g, h);

        Vector256<float> col04a = Avx.Shuffle(ab0, cd0, 0x44), col15a = Avx.Shuffle(ab0, cd0, 0xEE); // a0 b0 c0 d0 | a4 b4 c4 d4 ; a1.. | a5..
        Vector256<float> col26a = Avx.Shuffle(ab1, cd1, 0x44), col37a = Avx.Shuffle(ab1, cd1, 0xEE);
        Vector256<float> col04b = Avx.Shuffle(ef0, gh0, 0x44), col15b = Avx.Shuffle(ef0, gh0, 0xEE); // e0 f0 g0 h0 | e4 f4 g4 h4 ; ...
        Vector256<float> col26b = Avx.Shuffle(ef1, gh1, 0x44), col37b = Avx.Shuffle(ef1, gh1, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(col04a, col04b, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(col15a, col15b, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(col26a, col26b, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(col37a, col37b, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(col04a, col04b, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(col15a, col15b, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(col26a, col26b, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(col37a, col37b, 0x31));
    }
}
