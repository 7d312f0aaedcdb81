using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Runtime.InteropServices;
using TttCluster.Files;
using TttCluster.Tensors;

namespace TttCluster.Model.Weights;

/// <summary>
/// Writes tensors as a safetensors file that <see cref="SafetensorsFile"/> and the Python safetensors library both
/// read: tensors sorted by name, contiguous data, header padded with spaces so the data starts 8-byte aligned.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Elements converted per step when narrowing, to bound the scratch buffer.</summary>
    private const int ChunkElements = 1 << 16;

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> as <paramref name="dtype"/> (F32, F16 or BF16;
    /// narrowing rounds to nearest even). The file appears complete or not at all: data goes to a temporary file in
    /// the same directory, which is renamed over <paramref name="path"/> only once it is fully written and flushed.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafetensorsDType dtype = SafetensorsDType.F32)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!dtype.IsFloating())
            throw new ArgumentException($"can write {SafetensorsDTypes.FloatingHeaderNames}, not {dtype.ToHeaderName()}", nameof(dtype));

        var sorted = SortAndCheckNames(tensors);
        byte[] header = BuildHeader(sorted, metadata, dtype);

        using var file = PartialFiles.Process.Create(path);
        file.Write(stream =>
        {
            var lengthPrefix = new byte[SafetensorsFile.LengthPrefixBytes];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(lengthPrefix, (ulong)header.Length);
            stream.Write(lengthPrefix);
            stream.Write(header);
            foreach (var (_, tensor) in sorted)
                WriteData(stream, tensor.Data, dtype);
        });
        file.Commit();
    }

    private static List<(string Name, Tensor Tensor)> SortAndCheckNames(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var sorted = new List<(string Name, Tensor Tensor)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, $"tensor '{name}'");
            if (name == SafetensorsHeaderParser.MetadataKey)
                throw new ArgumentException($"'{name}' is reserved for metadata and cannot name a tensor", nameof(tensors));
            if (!names.Add(name))
                throw new ArgumentException($"tensor '{name}' is given twice", nameof(tensors));
            sorted.Add((name, tensor));
        }
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return sorted;
    }

    private static byte[] BuildHeader(List<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata, SafetensorsDType dtype)
    {
        var json = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps quotes inside metadata JSON as \" rather than \u0022, as Python writes them; the
        // header is never embedded in HTML, which is all the stricter default guards against.
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(SafetensorsHeaderParser.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(entry => entry.Key, StringComparer.Ordinal))
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                long end = offset + (long)tensor.Length * dtype.SizeInBytes();
                writer.WriteStartObject(name);
                writer.WriteString("dtype", dtype.ToHeaderName());
                writer.WriteStartArray("shape");
                foreach (int dim in tensor.Shape) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }
            writer.WriteEndObject();
        }

        int paddedLength = (json.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[paddedLength];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, float[] data, SafetensorsDType dtype)
    {
        if (dtype == SafetensorsDType.F32 && BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }

        // Narrowed (or, for F32 on a big-endian host, byte-swapped) a chunk at a time through one scratch buffer.
        int width = dtype.SizeInBytes();
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Math.Min(ChunkElements, Math.Max(data.Length, 1)) * width);
        try
        {
            for (int start = 0; start < data.Length; start += ChunkElements)
            {
                ReadOnlySpan<float> values = data.AsSpan(start, Math.Min(ChunkElements, data.Length - start));
                Span<byte> bytes = scratch.AsSpan(0, values.Length * width);
                Encode(values, bytes, dtype);
                stream.Write(bytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private static void Encode(ReadOnlySpan<float> values, Span<byte> destination, SafetensorsDType dtype)
    {
        if (dtype == SafetensorsDType.F32)
        {
            Span<float> floats = MemoryMarshal.Cast<byte, float>(destination);
            values.CopyTo(floats);
            FloatCodec.SwapIfBigEndian(floats);
            return;
        }

        Span<ushort> bits = MemoryMarshal.Cast<byte, ushort>(destination);
        if (dtype == SafetensorsDType.F16)
            FloatCodec.NarrowToF16(values, bits);
        else
            FloatCodec.NarrowToBF16(values, bits);
        FloatCodec.SwapIfBigEndian(bits);
    }
}
