using TttCluster.Model.Ttt;

namespace TttCluster.Model.Tests.Ttt;

public class ScanGroupsTests
{
    [Theory]
    [InlineData(4, 4, 1)]     // Tiny
    [InlineData(48, 8, 6)]    // CogVideoX5B
    [InlineData(6, 6, 1)]
    [InlineData(12, 6, 2)]    // 8 does not divide 12: the most groups up to 8 that do
    [InlineData(7, 7, 1)]
    [InlineData(1, 1, 1)]
    public void For_SplitsHeadsIntoEqualGroups(int heads, int count, int perGroup)
    {
        var groups = ScanGroups.For(heads);
        Assert.Equal((count, perGroup), (groups.Count, groups.HeadsPerGroup));
        Assert.Equal((count - 1) * perGroup, groups.FirstHead(count - 1));
    }

    [Fact]
    public void For_GivesEachGroupEnoughWork()
    {
        Assert.Equal(new ScanGroups(2, 2), ScanGroups.For(ModelConfig.Tiny()));          // one head's segment: 2.8 MFLOP
        Assert.Equal(new ScanGroups(8, 6), ScanGroups.For(ModelConfig.CogVideoX5B()));
        Assert.Equal(new ScanGroups(1, 4), ScanGroups.For(4, headFlops: 1e5));
    }

    [Fact]
    public void BadArguments_AreNamed()
    {
        Assert.Contains("heads", Assert.Throws<ArgumentOutOfRangeException>(() => ScanGroups.For(0)).Message);
        Assert.Contains("scan group: expected 0 to 3, found 4", Assert.Throws<ArgumentOutOfRangeException>(() => ScanGroups.For(4).FirstHead(4)).Message);
        var twoHeads = new ScanGroups(2, 2).InitialState(1, 2, 16, new float[4 * 16 * 64], new float[4 * 64], new float[4 * 64 * 16], new float[4 * 16]);
        Assert.Contains("from input head 3", Assert.Throws<ArgumentException>(() =>
            TttScanner.Scan(twoHeads, new TttInputs(2, 4, 16, 3), 0, isLast: true, 16, new float[32], new float[32], 1e-6f, firstHead: 3)).Message);
    }

    /// <summary>
    /// The premise of the distributed scan's head groups: every head's state evolves on its own, so scanning each group
    /// alone, over two runs that hand a partial mini-batch from one to the next, gives the whole scan's bits exactly.
    /// </summary>
    [Fact]
    public void GroupsScannedAlone_MatchTheWholeScanBitForBit()
    {
        const int batch = 2, heads = 6, d = 16, hidden = 64, miniBatch = 16, firstRun = 21, secondRun = 19;
        var rng = new GaussianRandom(11);
        float[] R(int n, float std = 1f) { var x = new float[n]; rng.Fill(x, std); return x; }
        TttInputs Inputs(int rows) => new(batch, heads, d, rows, R(batch * heads * rows * d), R(batch * heads * rows * d), R(batch * heads * rows * d),
            R(batch * heads * rows, 0.01f));
        float[] w1 = R(heads * d * hidden, 0.05f), b1 = R(heads * hidden, 0.05f), w2 = R(heads * hidden * d, 0.05f), b2 = R(heads * d, 0.05f);
        float[] gamma = R(heads * d), beta = R(heads * d);
        TttInputs first = Inputs(firstRun), second = Inputs(secondRun);

        var whole = ScanState.Initial(batch, heads, d, w1, b1, w2, b2);
        var wholeFirst = TttScanner.Scan(whole, first, 0, isLast: false, miniBatch, gamma, beta, 1e-6f);
        var wholeSecond = TttScanner.Scan(whole, second, firstRun, isLast: true, miniBatch, gamma, beta, 1e-6f);

        var groups = ScanGroups.For(heads);
        for (int g = 0; g < groups.Count; g++)
        {
            int h0 = groups.FirstHead(g), n = groups.HeadsPerGroup;
            var state = groups.InitialState(g, batch, d, w1, b1, w2, b2);
            // Through bytes, as a state goes from silo to silo; each group reads its heads from the inputs of all heads.
            var part1 = TttScanner.Scan(state, first, 0, isLast: false, miniBatch, groups.Of(gamma, g, d), groups.Of(beta, g, d), 1e-6f, firstHead: h0);
            state = ScanState.FromBytes(state.ToBytes());
            var part2 = TttScanner.Scan(state, second, firstRun, isLast: true, miniBatch, groups.Of(gamma, g, d), groups.Of(beta, g, d), 1e-6f, firstHead: h0);

            AssertGroupEqual(wholeFirst, part1, h0, n);
            AssertGroupEqual(wholeSecond, part2, h0, n);
            for (int b = 0; b < batch; b++)
                Assert.Equal(Bits(whole.W1.AsSpan((b * heads + h0) * d * hidden, n * d * hidden)), Bits(state.W1.AsSpan(b * n * d * hidden, n * d * hidden)));
        }

        void AssertGroupEqual(ScanResult all, ScanResult part, int h0, int n)
        {
            Assert.Equal((all.FirstPosition, all.Count), (part.FirstPosition, part.Count));
            for (int b = 0; b < batch; b++)
                Assert.Equal(Bits(all.Output.AsSpan((b * heads + h0) * all.Count * d, n * all.Count * d)),
                    Bits(part.Output.AsSpan(b * n * part.Count * d, n * part.Count * d)));
        }
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }
}
