namespace TttCluster.Tensors.Tests;

/// <summary>The plain definition of Sgemm, accumulated in double: what every backend is checked against.</summary>
internal static class GemmReference
{
    /// <summary>alpha·op(A)·op(B) + beta·C (beta = 0: C ignored) as a dense m×n array (row stride n).</summary>
    public static double[] Compute(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
                                   float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                result[i * n + j] = alpha * sum + (beta == 0f ? 0 : (double)beta * c[i * ldc + j]);
            }
        return result;
    }

    /// <summary>C (row stride ldc) compacted to m×n, for comparison with <see cref="Compute"/>.</summary>
    public static float[] Compact(float[] c, int m, int n, int ldc)
    {
        var dense = new float[m * n];
        for (int i = 0; i < m; i++)
            Array.Copy(c, i * ldc, dense, i * n, n);
        return dense;
    }
}
