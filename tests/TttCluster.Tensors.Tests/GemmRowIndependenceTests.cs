using Xunit.Abstractions;

namespace TttCluster.Tensors.Tests;

/// <summary>
/// The TTT scan relies on a row of C not depending on how many other rows share the call (a token's result must
/// not change with the mini-batch size or how a sequence is split across silos). These tests hold the managed
/// kernel to that bit for bit, and measure whether OpenBLAS has the property.
/// </summary>
public class GemmRowIndependenceTests(ITestOutputHelper output)
{
    public static TheoryData<bool, bool, int, int> Cases()
    {
        var data = new TheoryData<bool, bool, int, int>();
        foreach (var (n, k) in new[] { (64, 64), (64, 3072), (3072, 64), (3072, 3072), (70, 300) })
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    data.Add(transA, transB, n, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SgemmManaged_RowsMatchCallsWithFewerRows(bool transA, bool transB, int n, int k)
    {
        string? mismatch = FindRowMismatch(Gemm.SgemmManaged, transA, transB, n, k);
        Assert.True(mismatch is null, mismatch);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SgemmManaged_ColumnsMatchCallsWithFewerColumns(bool transA, bool transB, int n, int k)
    {
        const int m = 9;
        var (a, lda, b, ldb, c, ldc) = GemmTests.Operands(transA, transB, m, n, k, seed: n + k);
        float[] whole = (float[])c.Clone();
        Gemm.SgemmManaged(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, whole, ldc);
        foreach (var (j0, width) in new[] { (0, 1), (n / 2, 1), (n - 33, 33), (n - 5, 5) })
        {
            float[] part = (float[])c.Clone();
            ReadOnlySpan<float> bColumns = transB ? b.AsSpan(j0 * ldb) : b.AsSpan(j0);
            Gemm.SgemmManaged(transA, transB, m, width, k, 0.75f, a, lda, bColumns, ldb, -0.5f, part.AsSpan(j0), ldc);
            for (int i = 0; i < m; i++)
            {
                int at = TestMatrices.FirstBitDifference(whole.AsSpan(i * ldc + j0, width), part.AsSpan(i * ldc + j0, width));
                if (at >= 0)
                    Assert.Fail($"column {j0 + at} of row {i} differs between n={n} and a call with n={width}: " +
                                $"{whole[i * ldc + j0 + at]:R} vs {part[i * ldc + j0 + at]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SgemmManagedParallel_IsBitIdenticalToSingleThreaded(bool transA, bool transB, int n, int k)
    {
        const int m = 300;
        var (a, lda, b, ldb, c, ldc) = GemmTests.Operands(transA, transB, m, n, k, seed: 3 * n + k);
        float[] single = (float[])c.Clone(), parallel = (float[])c.Clone();
        Gemm.SgemmManaged(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, single, ldc);
        Gemm.SgemmManagedParallel(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, parallel, ldc, maxDegree: 3);
        int at = TestMatrices.FirstBitDifference(single, parallel);
        Assert.True(at < 0, $"parallel result differs from single-threaded at index {at}");
    }

    /// <summary>Reports (never fails) whether OpenBLAS rows are bit-identical across m = 1, 5, 37 at the model's shapes.</summary>
    [OpenBlasTheory]
    [MemberData(nameof(Cases))]
    public void SgemmOpenBlas_ReportsRowIndependence(bool transA, bool transB, int n, int k)
    {
        string? singleRow = FindRowMismatch(GemmTests.OpenBlasSgemm, transA, transB, n, k, rowCounts: [1]);
        string? fiveRows = FindRowMismatch(GemmTests.OpenBlasSgemm, transA, transB, n, k, rowCounts: [5]);
        output.WriteLine($"{Native.NativeBlas.Instance!.Description} transA={transA} transB={transB} n={n} k={k}: " +
                         $"m=1 vs m=37: {singleRow ?? "bit-identical"}; m=5 vs m=37: {fiveRows ?? "bit-identical"}");
    }

    /// <summary>Computes an m = 37 product, then rows of it with smaller calls; describes the first bit difference.</summary>
    private static string? FindRowMismatch(GemmTests.SgemmFunction sgemm, bool transA, bool transB, int n, int k, int[]? rowCounts = null)
    {
        const int m = 37;
        var (a, lda, b, ldb, c, ldc) = GemmTests.Operands(transA, transB, m, n, k, seed: 5 * n + k);
        float[] whole = (float[])c.Clone();
        sgemm(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, -0.5f, whole, ldc);

        foreach (var (i0, rows) in new[] { (0, 1), (5, 1), (36, 1), (0, 5), (8, 5), (32, 5) })
        {
            if (rowCounts is not null && !rowCounts.Contains(rows))
                continue;
            float[] part = (float[])c.Clone();
            ReadOnlySpan<float> aRows = transA ? a.AsSpan(i0) : a.AsSpan(i0 * lda);
            sgemm(transA, transB, rows, n, k, 0.75f, aRows, lda, b, ldb, -0.5f, part.AsSpan(i0 * ldc), ldc);
            for (int i = i0; i < i0 + rows; i++)
            {
                int at = TestMatrices.FirstBitDifference(whole.AsSpan(i * ldc, n), part.AsSpan(i * ldc, n));
                if (at >= 0)
                {
                    double maxDiff = 0;
                    for (int j = 0; j < n; j++)
                        maxDiff = Math.Max(maxDiff, Math.Abs(whole[i * ldc + j] - part[i * ldc + j]));
                    return $"row {i} computed with m={rows} differs from m={m} at column {at}: {whole[i * ldc + at]:R} vs " +
                           $"{part[i * ldc + at]:R} (maxdiff {maxDiff:G3})";
                }
            }
        }
        return null;
    }
}
