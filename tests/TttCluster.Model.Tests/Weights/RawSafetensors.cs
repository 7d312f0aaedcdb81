using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace TttCluster.Model.Tests.Weights;

/// <summary>
/// Builds safetensors files byte by byte, so tests can write what no correct writer would: lying headers,
/// duplicate keys, truncated data.
/// </summary>
internal static class RawSafetensors
{
    /// <summary>Header JSON as given (no padding), then <paramref name="data"/>.</summary>
    public static void Write(string path, string headerJson, byte[] data) =>
        File.WriteAllBytes(path, Build(Encoding.UTF8.GetBytes(headerJson), data));

    public static byte[] Build(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static byte[] F32(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] U16(params ushort[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Where the data buffer starts in a file: after the length prefix and the header.</summary>
    public static long DataStart(byte[] file) => 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
}
