namespace TttCluster.Video;

/// <summary>
/// One still per scene tiled into a grid, row-major (scene 0 top left), to see a whole story at a glance. Tiles
/// are separated and framed by a 2-pixel dark gutter; cells after the last frame are gutter-coloured.
/// </summary>
public static class ContactSheet
{
    /// <summary>Gutter width in pixels, between tiles and around the edge.</summary>
    public const int Gutter = 2;

    /// <summary>The gutter colour, one byte per channel: dark grey, distinct from a black frame.</summary>
    public const byte GutterLevel = 24;

    /// <summary>
    /// The sheet's size for <paramref name="frameCount"/> tiles of <paramref name="width"/> × <paramref name="height"/>
    /// in at most <paramref name="columns"/> columns (fewer when there are fewer frames than columns).
    /// </summary>
    public static (int Width, int Height) Size(int frameCount, int width, int height, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        int usedColumns = Math.Min(columns, frameCount);
        int rows = (frameCount + usedColumns - 1) / usedColumns;
        return (checked(usedColumns * (width + Gutter) + Gutter), checked(rows * (height + Gutter) + Gutter));
    }

    /// <summary>The sheet as rgb24 pixels; each frame is W · H · 3 bytes of rgb24.</summary>
    public static (byte[] Rgb24, int Width, int Height) Compose(IReadOnlyList<byte[]> frames, int width, int height, int columns)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var (sheetWidth, sheetHeight) = Size(frames.Count, width, height, columns);
        int usedColumns = Math.Min(columns, frames.Count);
        int rowBytes = width * Frames.Channels;
        int sheetRowBytes = sheetWidth * Frames.Channels;

        var sheet = new byte[checked(sheetRowBytes * sheetHeight)];
        sheet.AsSpan().Fill(GutterLevel);
        for (int i = 0; i < frames.Count; i++)
        {
            byte[] frame = frames[i] ?? throw new ArgumentNullException($"{nameof(frames)}[{i}]");
            if (frame.Length != rowBytes * height)
                throw new ArgumentException($"frame {i}: a {width}x{height} rgb24 frame must be {rowBytes * height} bytes, found {frame.Length}", nameof(frames));
            int left = Gutter + i % usedColumns * (width + Gutter);
            int top = Gutter + i / usedColumns * (height + Gutter);
            for (int y = 0; y < height; y++)
                frame.AsSpan(y * rowBytes, rowBytes).CopyTo(sheet.AsSpan((top + y) * sheetRowBytes + left * Frames.Channels));
        }
        return (sheet, sheetWidth, sheetHeight);
    }

    /// <summary>Composes the sheet and writes it as a PNG (atomically, see <see cref="PngWriter"/>).</summary>
    public static void Write(string path, IReadOnlyList<byte[]> frames, int width, int height, int columns)
    {
        var (rgb24, sheetWidth, sheetHeight) = Compose(frames, width, height, columns);
        PngWriter.Write(path, sheetWidth, sheetHeight, rgb24);
    }
}
