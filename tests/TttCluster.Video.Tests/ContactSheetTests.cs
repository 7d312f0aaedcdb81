namespace TttCluster.Video.Tests;

/// <summary>One still per scene, in story order, in a grid of the right size.</summary>
public sealed class ContactSheetTests : IDisposable
{
    private const int FrameWidth = 32;
    private const int FrameHeight = 18;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<byte[]> SceneStills(int count) =>
        Enumerable.Range(0, count).Select(i => TestFrames.Solid(FrameWidth, FrameHeight, (byte)(10 * i + 5), 200, (byte)(255 - i))).ToList();

    [Theory]
    [InlineData(2, 4, 2 * 32 + 3 * 2, 18 + 2 * 2)]        // fewer frames than columns: one row of 2
    [InlineData(20, 5, 5 * 32 + 6 * 2, 4 * 18 + 5 * 2)]   // 4 full rows
    [InlineData(20, 6, 6 * 32 + 7 * 2, 4 * 18 + 5 * 2)]   // last row part-filled
    public void ContactSheet_HasOneTilePerSceneAndGutters(int scenes, int columns, int expectedWidth, int expectedHeight)
    {
        string path = _dir.File("sheet.png");
        ContactSheet.Write(path, SceneStills(scenes), FrameWidth, FrameHeight, columns);

        var (width, height, _) = PngDecoder.Decode(File.ReadAllBytes(path));
        Assert.Equal((expectedWidth, expectedHeight), (width, height));
        Assert.Equal((expectedWidth, expectedHeight), ContactSheet.Size(scenes, FrameWidth, FrameHeight, columns));
    }

    [Fact]
    public void ContactSheet_PlacesScenesRowMajorBetweenGutters()
    {
        List<byte[]> stills = SceneStills(7);
        var (sheet, width, _) = ContactSheet.Compose(stills, FrameWidth, FrameHeight, columns: 3);

        byte[] Pixel(int x, int y) => sheet.AsSpan(3 * (y * width + x), 3).ToArray();
        for (int scene = 0; scene < stills.Count; scene++)
        {
            int left = 2 + scene % 3 * (FrameWidth + 2), top = 2 + scene / 3 * (FrameHeight + 2);
            Assert.Equal(stills[scene][..3], Pixel(left, top));
            Assert.Equal(stills[scene][..3], Pixel(left + FrameWidth - 1, top + FrameHeight - 1));
        }
        byte[] gutter = [ContactSheet.GutterLevel, ContactSheet.GutterLevel, ContactSheet.GutterLevel];
        Assert.Equal(gutter, Pixel(0, 0));
        Assert.Equal(gutter, Pixel(2 + FrameWidth, 2));                        // between scenes 0 and 1
        Assert.Equal(gutter, Pixel(2 + 2 * (FrameWidth + 2), 2 + 2 * (FrameHeight + 2)));   // the empty cell after scene 6
    }

    [Fact]
    public void ContactSheet_WrongFrameSizeNamesTheFrame()
    {
        List<byte[]> stills = SceneStills(3);
        stills[1] = new byte[10];
        var e = Assert.Throws<ArgumentException>(() => ContactSheet.Compose(stills, FrameWidth, FrameHeight, 2));
        Assert.Contains("frame 1", e.Message);
        Assert.Contains("found 10", e.Message);
    }
}
