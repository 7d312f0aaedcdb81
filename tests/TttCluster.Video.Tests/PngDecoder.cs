using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace TttCluster.Video.Tests;

/// <summary>
/// A strict reader for exactly the PNGs <see cref="PngWriter"/> promises (8-bit RGB, not interlaced, filter 0):
/// checks the signature, every chunk's CRC, the chunk order, and inflates the IDAT data back to rgb24.
/// </summary>
internal static class PngDecoder
{
    public static (int Width, int Height, byte[] Rgb24) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int width = 0, height = 0;
        var chunkTypes = new List<string>();
        using var idat = new MemoryStream();
        int position = 8;
        while (position < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            string type = Encoding.ASCII.GetString(png, position + 4, 4);
            ReadOnlySpan<byte> typeAndData = png.AsSpan(position + 4, 4 + length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(position + 8 + length));
            Assert.True(Crc32.Compute(typeAndData) == storedCrc, $"chunk {type}: CRC {storedCrc:x8} stored, {Crc32.Compute(typeAndData):x8} computed");
            ReadOnlySpan<byte> data = typeAndData[4..];
            chunkTypes.Add(type);
            if (type == "IHDR")
            {
                Assert.Equal(13, length);
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, data[8..].ToArray());   // 8-bit RGB, deflate, filter 0, no interlace
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            position += 12 + length;
        }
        Assert.Equal(png.Length, position);
        Assert.Equal("IHDR", chunkTypes[0]);
        Assert.Equal("IEND", chunkTypes[^1]);

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        byte[] filtered = inflated.ToArray();
        int rowBytes = width * 3;
        Assert.Equal(height * (1 + rowBytes), filtered.Length);
        var rgb24 = new byte[height * rowBytes];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, filtered[y * (1 + rowBytes)]);   // filter type None
            Array.Copy(filtered, y * (1 + rowBytes) + 1, rgb24, y * rowBytes, rowBytes);
        }
        return (width, height, rgb24);
    }
}
