using System.Buffers.Binary;
using System.Text;

namespace TttCluster.Video.Tests;

/// <summary>Reads the top-level box (atom) headers of an MP4 file (ISO/IEC 14496-12 §4.2), without a library.</summary>
internal static class Mp4Boxes
{
    /// <summary>The four-letter types of the top-level boxes, in file order, e.g. ftyp, moov, free, mdat.</summary>
    public static List<string> TopLevelTypes(string path)
    {
        var types = new List<string>();
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[16];
        long position = 0;
        while (position < file.Length)
        {
            file.Position = position;
            file.ReadExactly(header[..8]);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            types.Add(Encoding.ASCII.GetString(header[4..8]));
            if (size == 1)
            {
                // A 64-bit "largesize" follows the type.
                file.ReadExactly(header[8..16]);
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
            }
            else if (size == 0)
            {
                size = file.Length - position;   // the box runs to the end of the file
            }
            Assert.True(size >= 8, $"{path}: box '{types[^1]}' at {position} has impossible size {size}");
            position += size;
        }
        Assert.Equal(file.Length, position);
        return types;
    }
}
