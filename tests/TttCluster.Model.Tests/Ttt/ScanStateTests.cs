using TttCluster.Model.Ttt;

namespace TttCluster.Model.Tests.Ttt;

public class ScanStateTests
{
    private static ScanState StateWithCarry()
    {
        var rng = new GaussianRandom(3);
        float[] R(int n) { var x = new float[n]; rng.Fill(x, 1f); return x; }
        var state = ScanState.Initial(2, 3, 16, R(3 * 16 * 64), R(3 * 64), R(3 * 64 * 16), R(3 * 16));
        var run = new TttInputs(2, 3, 16, 21, R(2 * 3 * 21 * 16), R(2 * 3 * 21 * 16), R(2 * 3 * 21 * 16), R(2 * 3 * 21));
        TttScanner.Scan(state, run, 0, isLast: false, 16, R(3 * 16), R(3 * 16), 1e-6f);   // leaves 5 tokens open
        return state;
    }

    [Fact]
    public void Bytes_RoundTripExactly()
    {
        var state = StateWithCarry();
        Assert.Equal(5, state.Carried.Rows);
        byte[] bytes = state.ToBytes();
        var back = ScanState.FromBytes(bytes);
        Assert.Equal(bytes, back.ToBytes());
        Assert.Equal(21, back.NextPosition);
        Assert.Equal(16, back.CarriedStart);
    }

    [Fact]
    public void Bytes_MalformedGiveClearErrors()
    {
        byte[] bytes = StateWithCarry().ToBytes();
        var truncated = Assert.Throws<FormatException>(() => ScanState.FromBytes(bytes.AsSpan(0, bytes.Length - 4)));
        Assert.Contains($"found {bytes.Length - 4}", truncated.Message);
        var badMagic = (byte[])bytes.Clone();
        badMagic[0] ^= 0xFF;
        Assert.Contains("magic", Assert.Throws<FormatException>(() => ScanState.FromBytes(badMagic)).Message);
        Assert.Throws<FormatException>(() => ScanState.FromBytes(new byte[3]));
    }

    [Fact]
    public void Scan_RejectsAnOutOfOrderHandOff()
    {
        var state = StateWithCarry();
        var run = new TttInputs(2, 3, 16, 4);
        var e = Assert.Throws<InvalidOperationException>(() => TttScanner.Scan(state, run, 40, false, 16, new float[48], new float[48], 1e-6f));
        Assert.Contains("expects position 21", e.Message);
    }
}
