using System.Runtime.CompilerServices;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Portable micro-kernel for CPUs without 256-bit SIMD: a 4×4 tile in scalar registers. It uses the same fused
/// multiply-add per element as the vector kernels, so all three produce bit-identical results.
/// </summary>
internal readonly unsafe struct ScalarKernel : IMicroKernel
{
    private const int Rows = 4;
    private const int Columns = 4;

    public static int RowsPerTile => Rows;
    public static int ColumnsPerTile => Columns;

    // Straight to optimised code: this loop is the whole GEMM, and tier-0 code keeps its vectors in memory.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<TLayout>(int kc, float* a, nint aRowStride, nint aStep, float* b, nint bStep,
                                         float* c, nint ldc, float alpha, float beta, TileUpdate update)
        where TLayout : struct, IRowLayout
    {
        float* acc = stackalloc float[Rows * Columns];
        new Span<float>(acc, Rows * Columns).Clear();
        nint o1 = TLayout.Offset(1, aRowStride), o2 = TLayout.Offset(2, aRowStride), o3 = TLayout.Offset(3, aRowStride);
        for (int p = 0; p < kc; p++)
        {
            float a0 = a[0], a1 = a[o1], a2 = a[o2], a3 = a[o3];
            for (int j = 0; j < Columns; j++)
            {
                float bj = b[j];
                acc[j] = MathF.FusedMultiplyAdd(a0, bj, acc[j]);
                acc[Columns + j] = MathF.FusedMultiplyAdd(a1, bj, acc[Columns + j]);
                acc[2 * Columns + j] = MathF.FusedMultiplyAdd(a2, bj, acc[2 * Columns + j]);
                acc[3 * Columns + j] = MathF.FusedMultiplyAdd(a3, bj, acc[3 * Columns + j]);
            }
            a += aStep;
            b += bStep;
        }

        for (int r = 0; r < Rows; r++)
        {
            float* row = c + r * ldc;
            for (int j = 0; j < Columns; j++)
            {
                float sum = acc[r * Columns + j];
                row[j] = update switch
                {
                    TileUpdate.Overwrite => alpha * sum,
                    TileUpdate.ScaleAndAdd => MathF.FusedMultiplyAdd(alpha, sum, beta * row[j]),
                    _ => MathF.FusedMultiplyAdd(alpha, sum, row[j]),
                };
            }
        }
    }
}
