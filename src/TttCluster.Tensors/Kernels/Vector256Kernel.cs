using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// AVX2 micro-kernel: a 6×16 tile of C in 12 ymm accumulators, so that with the two B vectors and the broadcast
/// it fits the 16 registers of a CPU without AVX-512.
/// </summary>
internal readonly unsafe struct Vector256Kernel : IMicroKernel
{
    public static int RowsPerTile => 6;
    public static int ColumnsPerTile => 16;

    // Straight to optimised code: this loop is the whole GEMM, and tier-0 code keeps its vectors in memory.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TLayout>(int kc, float* a, nint aRowStride, nint aStep, float* b, nint bStep,
                                         float* c, nint ldc, float alpha, float beta, TileUpdate update)
        where TLayout : struct, IRowLayout
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        nint o1 = TLayout.Offset(1, aRowStride);
        nint o2 = TLayout.Offset(2, aRowStride);
        nint o3 = TLayout.Offset(3, aRowStride);
        nint o4 = TLayout.Offset(4, aRowStride);
        nint o5 = TLayout.Offset(5, aRowStride);
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> ai;
            ai = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(ai, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[o1]);
            c10 = Vector256.FusedMultiplyAdd(ai, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[o2]);
            c20 = Vector256.FusedMultiplyAdd(ai, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[o3]);
            c30 = Vector256.FusedMultiplyAdd(ai, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[o4]);
            c40 = Vector256.FusedMultiplyAdd(ai, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[o5]);
            c50 = Vector256.FusedMultiplyAdd(ai, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(ai, b1, c51);
            a += aStep;
            b += bStep;
        }

        Vector256<float> alphas = Vector256.Create(alpha), betas = Vector256.Create(beta);
        Update(c + 0 * ldc, c00, c01, alphas, betas, update);
        Update(c + 1 * ldc, c10, c11, alphas, betas, update);
        Update(c + 2 * ldc, c20, c21, alphas, betas, update);
        Update(c + 3 * ldc, c30, c31, alphas, betas, update);
        Update(c + 4 * ldc, c40, c41, alphas, betas, update);
        Update(c + 5 * ldc, c50, c51, alphas, betas, update);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* row, Vector256<float> acc0, Vector256<float> acc1,
                               Vector256<float> alphas, Vector256<float> betas, TileUpdate update)
    {
        switch (update)
        {
            case TileUpdate.Overwrite:
                (alphas * acc0).Store(row);
                (alphas * acc1).Store(row + 8);
                break;
            case TileUpdate.ScaleAndAdd:
                Vector256.FusedMultiplyAdd(alphas, acc0, betas * Vector256.Load(row)).Store(row);
                Vector256.FusedMultiplyAdd(alphas, acc1, betas * Vector256.Load(row + 8)).Store(row + 8);
                break;
            default:
                Vector256.FusedMultiplyAdd(alphas, acc0, Vector256.Load(row)).Store(row);
                Vector256.FusedMultiplyAdd(alphas, acc1, Vector256.Load(row + 8)).Store(row + 8);
                break;
        }
    }
}
