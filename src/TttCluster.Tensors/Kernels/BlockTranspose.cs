using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Out-of-place matrix transpose, dst[c·dstStride + r] = src[r·srcStride + c]. Packing a transposed B (and a
/// non-transposed A) is exactly this, and on small products a scalar copy costs as much as the multiply itself;
/// 8×8 blocks are transposed in AVX registers (24 shuffles per 64 floats) instead.
/// </summary>
internal static unsafe class BlockTranspose
{
    public static void Transpose(float* src, nint srcStride, int rows, int cols, float* dst, nint dstStride)
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
