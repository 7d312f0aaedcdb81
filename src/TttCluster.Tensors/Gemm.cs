using TttCluster.Tensors.Kernels;
using TttCluster.Tensors.Native;

namespace TttCluster.Tensors;

/// <summary>
/// Single-precision matrix product, row-major, with CBLAS semantics:
/// C[m,n] = alpha·op(A)·op(B) + beta·C, op(X) = Xᵀ when trans*. lda, ldb, ldc are row strides (in floats) of the
/// matrices as stored: A is m×k (k×m when transA), B is k×n (n×k when transB). With beta = 0, C is not read.
/// </summary>
public static unsafe class Gemm
{
    private static readonly Lazy<GemmBackendChoice> Choice = new(ChooseOnce, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Where <see cref="Sgemm"/> goes: OpenBLAS when it loads, unless TTT_GEMM=managed. Decided once, on first use.</summary>
    public static GemmBackendKind Backend => Choice.Value.Kind;

    /// <summary>The backend for logs, e.g. "OpenBLAS 0.3.21 (OPENBLAS_CORETYPE=SkylakeX, 2 threads)".</summary>
    public static string BackendDescription => Choice.Value.Description;

    /// <summary>
    /// Products smaller than this many multiply-adds run on the managed kernel on the calling thread: at such sizes it
    /// is faster than OpenBLAS on two threads, and (unlike OpenBLAS 0.3.21) it gives every row the same bits however
    /// many rows are in the call. Larger products (the big model's projections) go to OpenBLAS.
    /// </summary>
    public const long SmallProductMacs = 1L << 24;

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C on the fastest backend. Small products (&lt; <see cref="SmallProductMacs"/>) run
    /// on the calling thread, so callers may run many of them in parallel; large ones use all cores. With OpenBLAS,
    /// large products may differ in the last bits from <see cref="SgemmManaged"/>; the managed fallback is bit-identical.
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
                             ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0)
            return;
        fixed (float* aPtr = a, bPtr = b, cPtr = c)
        {
            if (k == 0 || (long)m * n * k < SmallProductMacs)
                ManagedGemm.Run(transA, transB, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc);
            else if (Choice.Value.Blas is { } blas)
                blas.Sgemm(transA, transB, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc);
            else
                ParallelGemm.Run(transA, transB, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc);
        }
    }

    /// <summary>
    /// The managed kernel on the calling thread only; same semantics as <see cref="Sgemm"/>. Deterministic: each
    /// element is accumulated over k in a fixed order that does not depend on m or n, so a row of C comes out
    /// bit-identical however many other rows are in the call. Allocation-free after the first call on a thread;
    /// safe inside Parallel.For bodies.
    /// </summary>
    public static void SgemmManaged(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
                                    ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        fixed (float* aPtr = a, bPtr = b, cPtr = c)
            ManagedGemm.Run(transA, transB, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc);
    }

    /// <summary>The managed kernel on all cores (the fallback behind <see cref="Sgemm"/>); bit-identical to <see cref="SgemmManaged"/>.</summary>
    public static void SgemmManagedParallel(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
                                              ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, int maxDegree = -1)
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        fixed (float* aPtr = a, bPtr = b, cPtr = c)
            ParallelGemm.Run(transA, transB, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc, maxDegree);
    }

    internal static void Validate(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, int lda,
                                  ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> c, int ldc)
    {
        KernelGuard.NotNegative(m);
        KernelGuard.NotNegative(n);
        KernelGuard.NotNegative(k);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        KernelGuard.RowStride(lda, aCols, transA ? "A (stored k×m, transA)" : "A (m×k)");
        KernelGuard.RowStride(ldb, bCols, transB ? "B (stored n×k, transB)" : "B (k×n)");
        KernelGuard.RowStride(ldc, n, "C (m×n)");
        KernelGuard.HoldsMatrix(a.Length, aRows, aCols, lda, transA ? "A (stored k×m, transA)" : "A (m×k)");
        KernelGuard.HoldsMatrix(b.Length, bRows, bCols, ldb, transB ? "B (stored n×k, transB)" : "B (k×n)");
        KernelGuard.HoldsMatrix(c.Length, m, n, ldc, "C (m×n)");
    }

    private static GemmBackendChoice ChooseOnce()
    {
        GemmBackendChoice choice = GemmBackendChoice.Choose(
            Environment.GetEnvironmentVariable(GemmBackendChoice.SettingVariable), () => NativeBlas.Instance, () => NativeBlas.LoadFailure);
        if (choice.Notice is not null)
            Console.Error.WriteLine(choice.Notice);
        return choice;
    }
}
