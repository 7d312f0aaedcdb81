using System.Text.Json;
using System.Text.Unicode;

namespace TttCluster.Model.Weights;

/// <summary>
/// Turns the JSON header of a safetensors file into metadata and tensor descriptions, trusting nothing: every
/// entry is checked for types, ranges, element count, byte length, bounds and overlap before anyone reads data
/// through it. Every problem becomes a <see cref="WeightsFileException"/>.
/// </summary>
internal static class SafetensorsHeaderParser
{
    public const string MetadataKey = "__metadata__";

    /// <param name="path">The file, for messages.</param>
    /// <param name="header">The JSON header bytes (padding included).</param>
    /// <param name="fileLength">Total file length in bytes; the data buffer is what follows the 8-byte length and the header.</param>
    public static (IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<TensorInfo> Tensors) Parse(
        string path, ReadOnlyMemory<byte> header, long fileLength)
    {
        // Checked first because the JSON reader only notices bad UTF-8 in some places, and later, with a vaguer message.
        if (!Utf8.IsValid(header.Span))
            throw WeightsFileException.Mismatch(path, null, "a UTF-8 JSON header", "bytes that are not valid UTF-8",
                "the file is not safetensors, or its header is corrupted");

        try
        {
            using JsonDocument document = JsonDocument.Parse(header);
            return ParseRoot(path, document.RootElement, new FileLayout(fileLength, SafetensorsFile.LengthPrefixBytes + header.Length));
        }
        catch (JsonException e)
        {
            throw WeightsFileException.Mismatch(path, null, "a JSON header", JsonProblem.Found(e, header.Span),
                "the file is not safetensors, or its header is corrupted", e);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json reports some malformed strings (e.g. an escaped lone surrogate in a name) only when
            // the string is read, and does so with InvalidOperationException.
            throw WeightsFileException.Mismatch(path, null, "a JSON header with valid strings", "a malformed string (an escaped lone surrogate, or an invalid escape)",
                "the header is corrupted", e);
        }
    }

    private static (IReadOnlyDictionary<string, string>, IReadOnlyList<TensorInfo>) ParseRoot(
        string path, JsonElement root, FileLayout layout)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw WeightsFileException.Mismatch(path, null, "a JSON object as the header", $"a JSON {Describe(root.ValueKind)}");

        IReadOnlyDictionary<string, string>? metadata = null;
        var tensors = new List<TensorInfo>();
        // JSON allows duplicate keys and System.Text.Json keeps them all; a second entry could silently replace
        // the first in another reader, so a duplicate is an error here.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw WeightsFileException.Mismatch(path, property.Name == MetadataKey ? null : property.Name,
                    "each name once in the header", $"'{property.Name}' twice (a duplicate JSON key)",
                    "the file was written by a broken or malicious writer; re-export it");

            if (property.Name == MetadataKey)
                metadata = ParseMetadata(path, property.Value);
            else
                tensors.Add(ParseEntry(path, property.Name, property.Value, layout));
        }

        CheckNoOverlap(path, tensors);
        return (metadata ?? new Dictionary<string, string>().AsReadOnly(), tensors.AsReadOnly());
    }

    private static IReadOnlyDictionary<string, string> ParseMetadata(string path, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw WeightsFileException.Mismatch(path, null, $"\"{MetadataKey}\" to be an object of strings", $"a JSON {Describe(element.ValueKind)}");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw WeightsFileException.Mismatch(path, null, $"\"{MetadataKey}\" value '{entry.Name}' to be a string",
                    $"a JSON {Describe(entry.Value.ValueKind)}", "safetensors metadata maps strings to strings; store structured values as a JSON string");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw WeightsFileException.Mismatch(path, null, $"each \"{MetadataKey}\" key once", $"'{entry.Name}' twice (a duplicate JSON key)");
        }
        return metadata.AsReadOnly();
    }

    private static TensorInfo ParseEntry(string path, string name, JsonElement entry, FileLayout layout)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw WeightsFileException.Mismatch(path, name, "an object with dtype, shape and data_offsets", $"a JSON {Describe(entry.ValueKind)}");

        SafetensorsDType dtype = ParseDType(path, name, RequiredField(path, name, entry, "dtype", JsonValueKind.String));
        int[] shape = ParseShape(path, name, RequiredField(path, name, entry, "shape", JsonValueKind.Array));
        (long begin, long end) = ParseOffsets(path, name, RequiredField(path, name, entry, "data_offsets", JsonValueKind.Array));

        long elementCount = CountElements(path, name, shape);
        long expectedBytes = elementCount * dtype.SizeInBytes();
        if (end - begin != expectedBytes)
            throw WeightsFileException.Mismatch(path, name,
                $"{expectedBytes} bytes of data (shape {TensorInfo.FormatShape(shape)} = {elementCount} elements × {dtype.SizeInBytes()} bytes of {dtype.ToHeaderName()})",
                $"data_offsets [{begin}, {end}] spanning {end - begin} bytes",
                "the header's shape, dtype and data_offsets disagree; the file is corrupted or was written by a broken writer");

        if (end > layout.DataBufferLength)
            throw WeightsFileException.Mismatch(path, name,
                $"data_offsets within the {layout.DataBufferLength}-byte data buffer",
                $"data_offsets [{begin}, {end}]: the file has {layout.FileLength} bytes but the header promises at least " +
                $"{layout.DataStart + end} ({SafetensorsFile.LengthPrefixBytes} + {layout.DataStart - SafetensorsFile.LengthPrefixBytes}-byte header + {end} bytes of data)",
                "the file is probably truncated (an interrupted download or copy); fetch or export it again");

        return new TensorInfo(name, dtype, Array.AsReadOnly(shape), begin, end);
    }

    private static JsonElement RequiredField(string path, string tensor, JsonElement entry, string field, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(field, out JsonElement value))
            throw WeightsFileException.Mismatch(path, tensor, $"a \"{field}\" field", "none",
                "each tensor entry needs \"dtype\", \"shape\" and \"data_offsets\"");
        if (value.ValueKind != kind)
            throw WeightsFileException.Mismatch(path, tensor, $"\"{field}\" to be a JSON {Describe(kind)}", $"a JSON {Describe(value.ValueKind)}");
        return value;
    }

    private static SafetensorsDType ParseDType(string path, string tensor, JsonElement value)
    {
        string text = value.GetString()!;
        if (!SafetensorsDTypes.TryParseHeaderName(text, out SafetensorsDType dtype))
            throw WeightsFileException.Mismatch(path, tensor, $"a dtype among {SafetensorsDTypes.AllHeaderNames}", $"\"{text}\"",
                $"convert the weights to one of {SafetensorsDTypes.FloatingHeaderNames} before loading");
        return dtype;
    }

    private static int[] ParseShape(string path, string tensor, JsonElement value)
    {
        var shape = new int[value.GetArrayLength()];
        int axis = 0;
        foreach (JsonElement dim in value.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int size) || size < 0)
                throw WeightsFileException.Mismatch(path, tensor, $"shape dimension {axis} to be an integer in [0, {int.MaxValue}]",
                    dim.GetRawText());
            shape[axis++] = size;
        }
        return shape;
    }

    private static (long Begin, long End) ParseOffsets(string path, string tensor, JsonElement value)
    {
        if (value.GetArrayLength() != 2)
            throw WeightsFileException.Mismatch(path, tensor, "data_offsets to be [begin, end]", $"{value.GetArrayLength()} numbers: {value.GetRawText()}");

        long begin = ParseOffset(path, tensor, value[0], "begin");
        long end = ParseOffset(path, tensor, value[1], "end");
        if (end < begin)
            throw WeightsFileException.Mismatch(path, tensor, "data_offsets end >= begin", $"[{begin}, {end}]",
                "the header is corrupted");
        return (begin, end);
    }

    private static long ParseOffset(string path, string tensor, JsonElement value, string which)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long offset) || offset < 0)
            throw WeightsFileException.Mismatch(path, tensor, $"data_offsets {which} to be a non-negative integer", value.GetRawText());
        return offset;
    }

    /// <summary>
    /// The element count, refused when a float[] could not hold it. Every dimension is at most int.MaxValue and
    /// the product is refused as soon as it passes Array.MaxLength, so the running product never overflows a long.
    /// </summary>
    private static long CountElements(string path, string tensor, int[] shape)
    {
        if (Array.IndexOf(shape, 0) >= 0) return 0;

        long count = 1;
        foreach (int dim in shape)
        {
            count *= dim;
            if (count > Array.MaxLength)
                throw WeightsFileException.Mismatch(path, tensor, $"at most {Array.MaxLength} elements (the most one tensor can hold)",
                    $"shape {TensorInfo.FormatShape(shape)}", "the header is corrupted, or the tensor must be split to be loaded");
        }
        return count;
    }

    /// <summary>Two tensors must not share bytes; gaps between them are allowed. Empty tensors own no bytes.</summary>
    private static void CheckNoOverlap(string path, List<TensorInfo> tensors)
    {
        TensorInfo? previous = null;
        foreach (TensorInfo tensor in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataBegin))
        {
            if (previous is not null && tensor.DataBegin < previous.DataEnd)
                throw WeightsFileException.Mismatch(path, tensor.Name,
                    "data that no other tensor uses",
                    $"data_offsets [{tensor.DataBegin}, {tensor.DataEnd}] overlapping tensor '{previous.Name}' at [{previous.DataBegin}, {previous.DataEnd}]",
                    "the header is corrupted or crafted; re-export the file");
            previous = tensor;
        }
    }

    /// <summary>Where the data buffer lies in the file, for bounds checks and their messages.</summary>
    private readonly record struct FileLayout(long FileLength, long DataStart)
    {
        public long DataBufferLength => FileLength - DataStart;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
