using TttCluster.Tensors.Kernels;

namespace TttCluster.Tensors.Tests;

public class SoftmaxColumnsTests
{
    /// <summary>The hand-written AVX-512 exponential must stay as accurate as a library exp (relative error ~1e-7).</summary>
    [Fact]
    public unsafe void ExpAndAddColumnSums_IsAccurateOverTheWholeRange()
    {
        const int rows = 1000, n = 35; // 35 columns: two vector-wide groups and a 3-column remainder
        float[] block = new float[rows * n];
        for (int i = 0; i < block.Length; i++)
            block[i] = -87f * i / (block.Length - 1);                   // from 0 down to −87
        float[] max = new float[n], sums = new float[n];
        float[] input = (float[])block.Clone();

        fixed (float* blockPtr = block, maxPtr = max, sumsPtr = sums)
            SoftmaxColumns.ExpAndAddColumnSums(blockPtr, rows, n, maxPtr, sumsPtr);

        double worst = 0;
        for (int i = 0; i < block.Length; i++)
            worst = Math.Max(worst, Math.Abs(block[i] - Math.Exp(input[i])) / Math.Exp(input[i]));
        Assert.True(worst <= 1e-6, $"exp relative maxdiff {worst:G3} > 1e-6");

        for (int j = 0; j < n; j++)
        {
            double expected = Enumerable.Range(0, rows).Sum(r => Math.Exp(input[r * n + j]));
            Assert.True(Math.Abs(sums[j] - expected) <= 1e-5 * expected, $"column {j} sum {sums[j]} vs {expected}");
        }
    }

    [Fact]
    public unsafe void ColumnMax_FindsTheMaximumOfEveryColumn()
    {
        const int rows = 7, n = 37;
        float[] block = TestMatrices.Random(rows * n, 11, range: 10f);
        float[] max = new float[n];
        fixed (float* blockPtr = block, maxPtr = max)
            SoftmaxColumns.ColumnMax(blockPtr, rows, n, maxPtr);
        for (int j = 0; j < n; j++)
            Assert.Equal(Enumerable.Range(0, rows).Max(r => block[r * n + j]), max[j]);
    }
}
