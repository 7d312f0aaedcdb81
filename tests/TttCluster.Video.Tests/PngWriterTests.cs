using System.Text;

namespace TttCluster.Video.Tests;

/// <summary>PNGs that any reader opens with exactly the pixels written.</summary>
public sealed class PngWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Crc32_MatchesTheStandardCheckValue() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void PngWriter_DecodesToTheSamePixels()
    {
        byte[] rgb24 = TestFrames.MovingGradient(37, 23, 5);   // odd sizes: row stride is not a multiple of 4
        string path = _dir.File("still.png");
        PngWriter.Write(path, 37, 23, rgb24);

        var (width, height, decoded) = PngDecoder.Decode(File.ReadAllBytes(path));
        Assert.Equal((37, 23), (width, height));
        Assert.Equal(rgb24, decoded);
        Assert.Equal(["still.png"], _dir.FileNames());
    }

    [Fact]
    public void PngWriter_FfmpegReadsTheSamePixels()
    {
        byte[] rgb24 = TestFrames.MovingGradient(40, 30, 11);
        string path = _dir.File("still.png");
        PngWriter.Write(path, 40, 30, rgb24);

        List<byte[]> decoded = FfmpegDecoder.DecodeRgb24(path, 40, 30);
        Assert.Single(decoded);
        Assert.Equal(rgb24, decoded[0]);
    }

    [Fact]
    public void PngWriter_WrongSizeNamesExpectedAndFound()
    {
        var e = Assert.Throws<ArgumentException>(() => PngWriter.Write(_dir.File("x.png"), 4, 4, new byte[47]));
        Assert.Contains("48 bytes", e.Message);
        Assert.Contains("found 47", e.Message);
        Assert.Empty(_dir.FileNames());
    }
}
