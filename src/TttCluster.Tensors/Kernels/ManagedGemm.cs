using System.Runtime.Intrinsics;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Entry to the managed single-threaded GEMM: picks the widest micro-kernel the CPU accelerates. All kernels give
/// bit-identical results, so the choice changes speed only.
/// </summary>
internal static unsafe class ManagedGemm
{
    /// <summary>
    /// K is summed in blocks of this many steps, each block from zero, then added into C in block order. The one
    /// constant that fixes every element's rounding: changing it changes results in the last bits.
    /// </summary>
    public const int KBlock = 256;

    /// <summary>Which micro-kernel to use; tests force each to prove they agree.</summary>
    internal enum KernelWidth { Auto, Vector512, Vector256, Vector128, Scalar }

    /// <summary>C[m,n] = alpha·op(A)·op(B) + beta·C, row-major, on this thread. Arguments are already validated.</summary>
    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha, float* a, nint lda, float* b, nint ldb,
                           float beta, float* c, nint ldc, PackingPolicy policy = PackingPolicy.Auto, KernelWidth width = KernelWidth.Auto)
    {
        if (m == 0 || n == 0)
            return;
        if (k == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (width == KernelWidth.Auto)
            width = Vector512.IsHardwareAccelerated ? KernelWidth.Vector512
                  : Vector256.IsHardwareAccelerated ? KernelWidth.Vector256
                  : Vector128.IsHardwareAccelerated ? KernelWidth.Vector128
                  : KernelWidth.Scalar;
        switch (width)
        {
            case KernelWidth.Vector512:
                BlockedGemm<Vector512Kernel>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, policy);
                break;
            case KernelWidth.Vector256:
                BlockedGemm<Vector256Kernel>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, policy);
                break;
            case KernelWidth.Vector128:
                BlockedGemm<Vector128Kernel>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, policy);
                break;
            default:
                BlockedGemm<ScalarKernel>.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, policy);
                break;
        }
    }

    /// <summary>k = 0: op(A)·op(B) is empty, so C = beta·C (beta = 0 clears C without reading it).</summary>
    private static void ScaleC(int m, int n, float beta, float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f)
                row.Clear();
            else if (beta != 1f)
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }
}
