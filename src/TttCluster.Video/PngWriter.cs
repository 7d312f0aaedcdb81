using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using TttCluster.Files;

namespace TttCluster.Video;

/// <summary>
/// Writes 8-bit RGB PNG files (for stills and contact sheets) with no dependency beyond the BCL: signature, IHDR,
/// one IDAT of zlib data (filter type 0, "None", on every row: simple, and the files are previews, not archives),
/// IEND. The file appears complete or not at all (written under a temporary name, then renamed).
/// </summary>
public static class PngWriter
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>PNG colour type 2: truecolour, three samples per pixel.</summary>
    private const byte ColorTypeRgb = 2;

    /// <summary>Writes <paramref name="rgb24"/> (W · H · 3 bytes, rows top to bottom, R G B) to <paramref name="path"/>.</summary>
    public static void Write(string path, int width, int height, ReadOnlySpan<byte> rgb24)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] png = Encode(width, height, rgb24);
        using var file = PartialFiles.Process.Create(path);
        file.Write(stream => stream.Write(png));
        file.Commit();
    }

    /// <summary>The bytes of a PNG file holding <paramref name="rgb24"/>.</summary>
    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> rgb24)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long expected = (long)width * height * Frames.Channels;
        if (rgb24.Length != expected)
            throw new ArgumentException($"a {width}x{height} rgb24 image must be {expected} bytes (width·height·3), found {rgb24.Length}", nameof(rgb24));

        using var file = new MemoryStream();
        file.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;               // bits per sample
        header[9] = ColorTypeRgb;
        header[10] = 0;              // compression: deflate (the only one defined)
        header[11] = 0;              // filter method: adaptive, five types (the only one defined)
        header[12] = 0;              // no interlacing
        WriteChunk(file, "IHDR", header);
        WriteChunk(file, "IDAT", CompressRows(width, height, rgb24));
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>The zlib stream of every row prefixed by its filter-type byte (0: the row as it is).</summary>
    private static byte[] CompressRows(int width, int height, ReadOnlySpan<byte> rgb24)
    {
        int rowBytes = width * Frames.Channels;
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0);
                zlib.Write(rgb24.Slice(y * rowBytes, rowBytes));
            }
        }
        return compressed.ToArray();
    }

    /// <summary>A chunk: big-endian data length, 4-letter type, data, CRC-32 of type and data.</summary>
    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        Span<byte> word = stackalloc byte[4];

        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Finish(Crc32.Append(Crc32.Append(Crc32.Start, typeBytes), data)));
        output.Write(word);
    }
}
