namespace TttCluster.Video.Tests;

/// <summary>Float frames become the bytes a viewer expects: interleaved, clamped, rounded, the same everywhere.</summary>
public sealed class FramesTests
{
    [Fact]
    public void ToRgb24_InterleavesPlanarChannelsRowMajor()
    {
        // [3, H=2, W=3]: red plane, green plane, blue plane, each row-major.
        float[] planar = new float[18];
        for (int p = 0; p < 6; p++)
        {
            planar[p] = p / 255f;             // red = pixel index
            planar[6 + p] = (100 + p) / 255f; // green = 100 + pixel index
            planar[12 + p] = (200 + p) / 255f;
        }
        byte[] rgb24 = Frames.ToRgb24(planar, width: 3, height: 2);
        Assert.Equal([0, 100, 200, 1, 101, 201, 2, 102, 202, 3, 103, 203, 4, 104, 204, 5, 105, 205], rgb24);
    }

    [Theory]
    [InlineData(0f, 0)]
    [InlineData(1f, 255)]
    [InlineData(-0.5f, 0)]
    [InlineData(7f, 255)]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(0.2f, 51)]
    [InlineData(0.5f, 128)]      // 127.5 rounds to even
    [InlineData(0.501f, 128)]
    [InlineData(0.003f, 1)]      // 0.765 rounds up, not truncated to 0
    public void ToByte_ClampsRoundsAndMapsNaNToBlack(float value, byte expected) =>
        Assert.Equal(expected, Frames.ToByte(value));

    [Fact]
    public void ToRgb24_WrongLengthNamesExpectedAndFound()
    {
        var e = Assert.Throws<ArgumentException>(() => Frames.ToRgb24(new float[3 * 4 * 4], width: 4, height: 5));
        Assert.Equal("planar", e.ParamName);
        Assert.Contains("[3, 5, 4]", e.Message);
        Assert.Contains("60 floats, found 48", e.Message);
    }

    [Fact]
    public void ToRgb24_IntoBufferMatchesAllocatingForm()
    {
        var planar = Enumerable.Range(0, 3 * 6 * 8).Select(i => MathF.Sin(i) * 0.7f + 0.4f).ToArray();
        var buffer = new byte[6 * 8 * 3];
        Frames.ToRgb24(planar, 8, 6, buffer);
        Assert.Equal(Frames.ToRgb24(planar, 8, 6), buffer);
    }
}
