using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// 128-bit micro-kernel for CPUs whose widest accelerated vectors are 128 bits, chiefly ARM64 (NEON, 32
/// registers): an 8×8 tile of C in 16 accumulators.
/// </summary>
internal readonly unsafe struct Vector128Kernel : IMicroKernel
{
    public static int RowsPerTile => 8;
    public static int ColumnsPerTile => 8;

    // Straight to optimised code: this loop is the whole GEMM, and tier-0 code keeps its vectors in memory.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TLayout>(int kc, float* a, nint aRowStride, nint aStep, float* b, nint bStep,
                                         float* c, nint ldc, float alpha, float beta, TileUpdate update)
        where TLayout : struct, IRowLayout
    {
        Vector128<float> c00 = default, c01 = default;
        Vector128<float> c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default;
        Vector128<float> c40 = default, c41 = default;
        Vector128<float> c50 = default, c51 = default;
        Vector128<float> c60 = default, c61 = default;
        Vector128<float> c70 = default, c71 = default;
        nint o1 = TLayout.Offset(1, aRowStride);
        nint o2 = TLayout.Offset(2, aRowStride);
        nint o3 = TLayout.Offset(3, aRowStride);
        nint o4 = TLayout.Offset(4, aRowStride);
        nint o5 = TLayout.Offset(5, aRowStride);
        nint o6 = TLayout.Offset(6, aRowStride);
        nint o7 = TLayout.Offset(7, aRowStride);
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> ai;
            ai = Vector128.Create(a[0]);
            c00 = Vector128.FusedMultiplyAdd(ai, b0, c00);
            c01 = Vector128.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector128.Create(a[o1]);
            c10 = Vector128.FusedMultiplyAdd(ai, b0, c10);
            c11 = Vector128.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector128.Create(a[o2]);
            c20 = Vector128.FusedMultiplyAdd(ai, b0, c20);
            c21 = Vector128.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector128.Create(a[o3]);
            c30 = Vector128.FusedMultiplyAdd(ai, b0, c30);
            c31 = Vector128.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector128.Create(a[o4]);
            c40 = Vector128.FusedMultiplyAdd(ai, b0, c40);
            c41 = Vector128.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector128.Create(a[o5]);
            c50 = Vector128.FusedMultiplyAdd(ai, b0, c50);
            c51 = Vector128.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector128.Create(a[o6]);
            c60 = Vector128.FusedMultiplyAdd(ai, b0, c60);
            c61 = Vector128.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector128.Create(a[o7]);
            c70 = Vector128.FusedMultiplyAdd(ai, b0, c70);
            c71 = Vector128.FusedMultiplyAdd(ai, b1, c71);
            a += aStep;
            b += bStep;
        }

        Vector128<float> alphas = Vector128.Create(alpha), betas = Vector128.Create(beta);
        Update(c + 0 * ldc, c00, c01, alphas, betas, update);
        Update(c + 1 * ldc, c10, c11, alphas, betas, update);
        Update(c + 2 * ldc, c20, c21, alphas, betas, update);
        Update(c + 3 * ldc, c30, c31, alphas, betas, update);
        Update(c + 4 * ldc, c40, c41, alphas, betas, update);
        Update(c + 5 * ldc, c50, c51, alphas, betas, update);
        Update(c + 6 * ldc, c60, c61, alphas, betas, update);
        Update(c + 7 * ldc, c70, c71, alphas, betas, update);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* row, Vector128<float> acc0, Vector128<float> acc1,
                               Vector128<float> alphas, Vector128<float> betas, TileUpdate update)
    {
        switch (update)
        {
            case TileUpdate.Overwrite:
                (alphas * acc0).Store(row);
                (alphas * acc1).Store(row + 4);
                break;
            case TileUpdate.ScaleAndAdd:
                Vector128.FusedMultiplyAdd(alphas, acc0, betas * Vector128.Load(row)).Store(row);
                Vector128.FusedMultiplyAdd(alphas, acc1, betas * Vector128.Load(row + 4)).Store(row + 4);
                break;
            default:
                Vector128.FusedMultiplyAdd(alphas, acc0, Vector128.Load(row)).Store(row);
                Vector128.FusedMultiplyAdd(alphas, acc1, Vector128.Load(row + 4)).Store(row + 4);
                break;
        }
    }
}
