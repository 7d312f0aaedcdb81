namespace TttCluster.Video.Tests;

/// <summary>A spec ffmpeg could not encode is refused before ffmpeg starts.</summary>
public sealed class VideoSpecTests
{
    [Theory]
    [InlineData(63, 48, "width")]
    [InlineData(64, 47, "height")]
    [InlineData(0, 48, "width")]
    [InlineData(64, -2, "height")]
    public void VideoSpec_RejectsOddOrEmptySizes(int width, int height, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new VideoSpec(width, height, 16, 48));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("must be even and at least 2", e.Message);
    }

    [Fact]
    public void VideoSpec_RejectsZeroRateOrFrames()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VideoSpec(64, 48, 0, 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VideoSpec(64, 48, 16, 0));
    }

    [Fact]
    public void VideoSpec_FrameBytesAndDuration()
    {
        var spec = new VideoSpec(720, 480, 16, 48 * 20);
        Assert.Equal(720 * 480 * 3, spec.FrameBytes);
        Assert.Equal(60.0, spec.DurationSeconds);
    }
}
