namespace TttCluster.Tensors.Tests;

public class AttentionTests
{
    private const double Tolerance = 2e-5;

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int seqLen in new[] { 1, 7, 112, 300, 1000 })
            foreach (var (heads, headDim) in new[] { (4, 16), (2, 64) })
                data.Add(seqLen, heads, headDim);
        data.Add(65, 3, 32);
        data.Add(129, 1, 24);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_MatchesReference(int seqLen, int heads, int headDim)
    {
        var (q, k, v) = Inputs(seqLen, heads, headDim, range: 1f);
        float scale = 1f / MathF.Sqrt(headDim);
        double[] expected = AttentionReference.Forward(q, k, v, seqLen, heads, headDim, scale);
        float[] actual = new float[seqLen * heads * headDim];
        Attention.Forward(q, k, v, actual, seqLen, heads, headDim, scale);

        double maxDiff = TestMatrices.MaxDiff(expected, actual);
        Assert.True(maxDiff <= Tolerance, $"seqLen={seqLen} heads={heads} headDim={headDim}: maxdiff {maxDiff:G3} > {Tolerance}");
    }

    /// <summary>Scores in the hundreds: the online softmax must rescale across key tiles without overflow.</summary>
    [Fact]
    public void Forward_StaysAccurateForLargeScores()
    {
        const int seqLen = 200, heads = 2, headDim = 64;
        var (q, k, v) = Inputs(seqLen, heads, headDim, range: 3f);
        double[] expected = AttentionReference.Forward(q, k, v, seqLen, heads, headDim, 1f);
        float[] actual = new float[seqLen * heads * headDim];
        Attention.Forward(q, k, v, actual, seqLen, heads, headDim, 1f);

        double maxDiff = TestMatrices.MaxDiff(expected, actual);
        Assert.True(maxDiff <= 1e-3, $"large scores: maxdiff {maxDiff:G3} > 1e-3 (v in [-3, 3])");
    }

    [Fact]
    public void Forward_IsDeterministicAcrossRuns()
    {
        const int seqLen = 777, heads = 3, headDim = 64;
        var (q, k, v) = Inputs(seqLen, heads, headDim, range: 1f);
        float[] first = new float[seqLen * heads * headDim], second = new float[first.Length];
        Attention.Forward(q, k, v, first, seqLen, heads, headDim, 0.125f);
        Attention.Forward(q, k, v, second, seqLen, heads, headDim, 0.125f);
        int at = TestMatrices.FirstBitDifference(first, second);
        Assert.True(at < 0, $"two runs differ at index {at}: {(at < 0 ? 0 : first[at])} vs {(at < 0 ? 0 : second[at])}");
    }

    [Fact]
    public void Forward_DoesNotDependOnTheThreadCount()
    {
        const int seqLen = 300, heads = 5, headDim = 16;
        var (q, k, v) = Inputs(seqLen, heads, headDim, range: 1f);
        float[] oneThread = new float[seqLen * heads * headDim], allThreads = new float[oneThread.Length];
        Attention.Forward(q, k, v, oneThread, seqLen, heads, headDim, 0.25f, maxDegreeOfParallelism: 1);
        Attention.Forward(q, k, v, allThreads, seqLen, heads, headDim, 0.25f, maxDegreeOfParallelism: -1);
        int at = TestMatrices.FirstBitDifference(oneThread, allThreads);
        Assert.True(at < 0, $"1 thread and {Environment.ProcessorCount} threads differ at index {at}");
    }

    [Fact]
    public void Forward_ShortOutputMessageNamesTheArgument()
    {
        float[] input = new float[10 * 32];
        var error = Assert.Throws<ArgumentException>(() => Attention.Forward(input, input, input, new float[100], 10, 2, 16, 0.25f));
        Assert.Equal("output", error.ParamName);
        Assert.Contains("320", error.Message);
    }

    private static (float[] Q, float[] K, float[] V) Inputs(int seqLen, int heads, int headDim, float range)
    {
        int length = seqLen * heads * headDim;
        return (TestMatrices.Random(length, seqLen, range), TestMatrices.Random(length, seqLen + 1, range), TestMatrices.Random(length, seqLen + 2, range));
    }
}
