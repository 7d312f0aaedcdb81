using System.Collections.Concurrent;
using TttCluster.Tensors.Kernels;

namespace TttCluster.Tensors.Tests;

public class GemmTests
{
    private const double Tolerance = 1e-4;

    private static readonly ConcurrentDictionary<(bool, bool, int, int, int, float, float), double[]> ReferenceResults = new();

    public static TheoryData<bool, bool, int, int, int> Shapes()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        foreach (var (m, n, k) in new[] { (1, 1, 1), (3, 5, 7), (17, 33, 65), (129, 70, 300) })
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    data.Add(transA, transB, m, n, k);
        return data;
    }

    /// <summary>A product large enough for every blocking loop: K blocks, a second column block, row blocks, packing.</summary>
    public static TheoryData<bool, bool, int, int, int> LargeShapes()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                data.Add(transA, transB, 203, 1061, 517);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(LargeShapes))]
    public void SgemmManaged_MatchesReference(bool transA, bool transB, int m, int n, int k) =>
        CheckAgainstReference(transA, transB, m, n, k, Gemm.SgemmManaged, "SgemmManaged");

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(LargeShapes))]
    public void SgemmManagedParallel_MatchesReference(bool transA, bool transB, int m, int n, int k) =>
        CheckAgainstReference(transA, transB, m, n, k,
            (ta, tb, mm, nn, kk, alpha, a, lda, b, ldb, beta, c, ldc) => Gemm.SgemmManagedParallel(ta, tb, mm, nn, kk, alpha, a, lda, b, ldb, beta, c, ldc, maxDegree: 2),
            "managed parallel");

    [OpenBlasTheory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(LargeShapes))]
    public void SgemmOpenBlas_MatchesReference(bool transA, bool transB, int m, int n, int k) =>
        CheckAgainstReference(transA, transB, m, n, k, OpenBlasSgemm, "OpenBLAS");

    [Fact]
    public void Sgemm_MatchesReferenceOnTheSelectedBackend() =>
        CheckAgainstReference(true, false, 129, 70, 300, Gemm.Sgemm, $"Sgemm on {Gemm.BackendDescription}");

    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(LargeShapes))]
    public void SgemmManaged_AllKernelsAndPackingChoicesAreBitIdentical(bool transA, bool transB, int m, int n, int k)
    {
        var (a, lda, b, ldb, c, ldc) = Operands(transA, transB, m, n, k, seed: m * 31 + n * 7 + k);
        float[] expected = (float[])c.Clone();
        RunManaged(transA, transB, m, n, k, a, lda, b, ldb, expected, ldc, PackingPolicy.Auto, ManagedGemm.KernelWidth.Auto);

        foreach (var width in new[] { ManagedGemm.KernelWidth.Vector512, ManagedGemm.KernelWidth.Vector256, ManagedGemm.KernelWidth.Vector128, ManagedGemm.KernelWidth.Scalar })
            foreach (var policy in new[] { PackingPolicy.Always, PackingPolicy.Never })
            {
                float[] actual = (float[])c.Clone();
                RunManaged(transA, transB, m, n, k, a, lda, b, ldb, actual, ldc, policy, width);
                int at = TestMatrices.FirstBitDifference(expected, actual);
                Assert.True(at < 0, $"{width} kernel with packing {policy} differs from the default at index {at}: " +
                                    $"{(at < 0 ? 0 : expected[at])} vs {(at < 0 ? 0 : actual[at])} (maxdiff {MaxAbsDiff(expected, actual):G3})");
            }
    }

    /// <summary>The TTT scan makes millions of small calls: after the first call on a thread, none may allocate.</summary>
    [Fact]
    public void SgemmManaged_DoesNotAllocateAfterWarmUp()
    {
        foreach (var (transA, transB) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var (a, lda, b, ldb, c, ldc) = Operands(transA, transB, 64, 256, 64, seed: 9);
            // The warm-up is the very call that is measured (β = 1 takes other code than β = 0): whatever a first call
            // initialises once per process (statics, JIT) is not the per-call allocation this is about.
            Gemm.SgemmManaged(transA, transB, 64, 256, 64, 1f, a, lda, b, ldb, 1f, c, ldc);
            // Three rounds of 100 calls: an allocation per call shows in every round, while a one-off (a lazily
            // initialised static, the test runner's threads) cannot spoil all three. CI once saw 7,592 bytes in one round.
            var rounds = new List<long>();
            for (int round = 0; round < 3 && (rounds.Count == 0 || rounds[^1] != 0); round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 100; i++)
                    Gemm.SgemmManaged(transA, transB, 64, 256, 64, 1f, a, lda, b, ldb, 1f, c, ldc);
                rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.True(rounds[^1] == 0, $"100 calls (transA={transA}, transB={transB}) allocated {string.Join(", then ", rounds)} bytes");
        }
    }

    [Fact]
    public void Sgemm_ZeroKScalesC()
    {
        float[] c = [1f, 2f, 3f, 4f];
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0.5f, c, 2);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
        Gemm.SgemmManaged(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0f, c, 2);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    [Fact]
    public void SgemmManaged_BetaZeroIgnoresNaNInC()
    {
        float[] a = TestMatrices.Random(9 * 5, 1), b = TestMatrices.Random(5 * 11, 2);
        float[] c = Enumerable.Repeat(float.NaN, 9 * 11).ToArray();
        Gemm.SgemmManaged(false, false, 9, 11, 5, 1f, a, 5, b, 11, 0f, c, 11);
        Assert.DoesNotContain(c, float.IsNaN);
    }

    [Fact]
    public void Sgemm_ShortBufferMessageNamesTheArgumentAndBothSizes()
    {
        float[] a = new float[10], b = new float[12], c = new float[12];
        var error = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 4, 4, 1f, a, 4, b, 4, 0f, c, 4));
        Assert.Equal("a", error.ParamName);
        Assert.Contains("10", error.Message);
        Assert.Contains("12", error.Message);

        error = Assert.Throws<ArgumentException>(() => Gemm.SgemmManaged(false, true, 3, 4, 4, 1f, new float[12], 4, new float[16], 4, 0f, new float[11], 4));
        Assert.Equal("c", error.ParamName);
        Assert.Contains("needs 12", error.Message);
    }

    [Fact]
    public void Sgemm_StrideAndDimensionMessagesNameTheArgument()
    {
        float[] buffer = new float[64];
        var stride = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(true, false, 5, 4, 3, 1f, buffer, 4, buffer, 4, 0f, buffer, 4));
        Assert.Equal("lda", stride.ParamName);
        Assert.Contains("must be >= 5", stride.Message);

        var dimension = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.SgemmManaged(false, false, 2, -1, 3, 1f, buffer, 3, buffer, 4, 0f, buffer, 4));
        Assert.Equal("n", dimension.ParamName);
    }

    internal delegate void SgemmFunction(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
                                         ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc);

    /// <summary>Odd leading dimensions (wider than the rows) and alpha, beta away from 1 and 0.</summary>
    internal static (float[] A, int Lda, float[] B, int Ldb, float[] C, int Ldc) Operands(bool transA, bool transB, int m, int n, int k, int seed)
    {
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5;
        float[] a = TestMatrices.Random((transA ? k : m) * lda, seed);
        float[] b = TestMatrices.Random((transB ? n : k) * ldb, seed + 1);
        float[] c = TestMatrices.Random(m * ldc, seed + 2);
        return (a, lda, b, ldb, c, ldc);
    }

    internal static void OpenBlasSgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
                                       ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        unsafe
        {
            Gemm.Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
            fixed (float* aPtr = a, bPtr = b, cPtr = c)
                Native.NativeBlas.Instance!.Sgemm(transA, transB, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc);
        }
    }

    private static void CheckAgainstReference(bool transA, bool transB, int m, int n, int k, SgemmFunction sgemm, string backend)
    {
        foreach (var (alpha, beta) in new[] { (0.75f, -0.5f), (1.5f, 0f) })
        {
            var (a, lda, b, ldb, c, ldc) = Operands(transA, transB, m, n, k, seed: m + n + k);
            // The same operands for every backend, so the (slow) double reference is computed once per case.
            double[] expected = ReferenceResults.GetOrAdd((transA, transB, m, n, k, alpha, beta),
                _ => GemmReference.Compute(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
            float[] padding = c.ToArray();
            sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

            double maxDiff = TestMatrices.MaxDiff(expected, GemmReference.Compact(c, m, n, ldc));
            Assert.True(maxDiff <= Tolerance,
                $"{backend} transA={transA} transB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta}: maxdiff {maxDiff:G3} > {Tolerance}");
            for (int i = 0; i < m; i++)
                for (int j = n; j < ldc; j++)
                    Assert.True(padding[i * ldc + j] == c[i * ldc + j], $"{backend} wrote C[{i}, {j}] beyond n = {n} (ldc = {ldc})");
        }
    }

    private static unsafe void RunManaged(bool transA, bool transB, int m, int n, int k, float[] a, int lda, float[] b, int ldb,
                                          float[] c, int ldc, PackingPolicy policy, ManagedGemm.KernelWidth width)
    {
        fixed (float* aPtr = a, bPtr = b, cPtr = c)
            ManagedGemm.Run(transA, transB, m, n, k, 0.75f, aPtr, lda, bPtr, ldb, -0.5f, cPtr, ldc, policy, width);
    }

    private static double MaxAbsDiff(float[] x, float[] y) => x.Zip(y, (p, q) => Math.Abs((double)p - q)).Max();
}
