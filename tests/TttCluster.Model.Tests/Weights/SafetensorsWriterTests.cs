using System.Buffers.Binary;
using System.Text;
using TttCluster.Model.Weights;
using TttCluster.Tensors;

namespace TttCluster.Model.Tests.Weights;

/// <summary>Writing weights: exact round trips, the standard layout, and no half-written file left behind.</summary>
public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static KeyValuePair<string, Tensor> Entry(string name, float[] data, params int[] shape) => new(name, new Tensor(data, shape));

    [Fact]
    public void Write_F32RoundTripIsExactWithMetadata()
    {
        string path = _dir.File("model.safetensors");
        var metadata = new Dictionary<string, string> { ["ttt_config"] = """{"layers":2,"width":64}""" };
        KeyValuePair<string, Tensor>[] tensors =
        [
            Entry("blocks.0.attn.q.weight", [1.5f, -2.25f, float.Epsilon, float.MaxValue, -0f, 3e-39f], 2, 3),
            Entry("scalar", [7f]),
            Entry("empty", [], 0, 4),
        ];

        SafetensorsWriter.Write(path, tensors, metadata);
        using var file = SafetensorsFile.Open(path);

        Assert.Equal(metadata, file.Metadata);
        foreach (var (name, expected) in tensors)
        {
            Tensor actual = file.Read(name);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), actual.Data.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Write_SortsByNameWithContiguousOffsetsAndAlignedData()
    {
        string path = _dir.File("sorted.safetensors");

        SafetensorsWriter.Write(path, [Entry("b", [1, 2, 3], 3), Entry("a", [4], 1), Entry("c", [5, 6], 2)], dtype: SafetensorsDType.F16);
        using var file = SafetensorsFile.Open(path);
        byte[] bytes = File.ReadAllBytes(path);

        Assert.Equal(["a", "b", "c"], file.Tensors.Select(t => t.Name));
        Assert.Equal([(0L, 2L), (2L, 8L), (8L, 12L)], file.Tensors.Select(t => (t.DataBegin, t.DataEnd)));
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal(8 + (long)headerLength + 12, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.Matches(@"^\{.*\} *$", header);
    }

    [Fact]
    public void Write_F16RoundTripKeepsRepresentableValuesExactly()
    {
        string path = _dir.File("half.safetensors");
        // subnormals (2^-24, 1023·2^-24), smallest normal, largest finite, signed zero, values needing all 11 bits
        float[] values = [MathF.Pow(2, -24), 1023 * MathF.Pow(2, -24), MathF.Pow(2, -14), 65504f, -0f, 1.5009765625f, -1234f, 0.1f];

        SafetensorsWriter.Write(path, [Entry("h", values, 8)], dtype: SafetensorsDType.F16);
        using var file = SafetensorsFile.Open(path);
        float[] read = file.Read("h").Data;

        Assert.Equal(SafetensorsDType.F16, file.Tensors[0].DType);
        Assert.Equal(values[..7].Select(BitConverter.SingleToInt32Bits), read[..7].Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(0.0999755859375f, read[7]); // 0.1 is not a half; nearest half is 0x2E66
    }

    [Fact]
    public void Write_F16RoundsToNearestEvenOnDisk()
    {
        string path = _dir.File("rne.safetensors");
        float ulp = MathF.Pow(2, -10); // half spacing in [1, 2)
        // halfway → even (down), halfway → even (up), just above halfway → up, halfway below the smallest subnormal → 0
        float[] values = [1 + ulp / 2, 1 + 3 * ulp / 2, 1 + ulp / 2 + ulp / 64, MathF.Pow(2, -25)];

        SafetensorsWriter.Write(path, [Entry("h", values, 4)], dtype: SafetensorsDType.F16);

        Assert.Equal([0x3C00, 0x3C02, 0x3C01, 0x0000], DataAsU16(path, 4));
    }

    [Fact]
    public void Write_BF16RoundTripKeepsRepresentableValuesAndRoundsToNearestEven()
    {
        string path = _dir.File("bf16.safetensors");
        float ulp = MathF.Pow(2, -7); // bfloat16 spacing in [1, 2)
        float tiniest = BitConverter.Int32BitsToSingle(0x00010000); // smallest bfloat16 subnormal
        float[] values = [tiniest, -0f, 3f, 1 + ulp / 2, 1 + 3 * ulp / 2, 1 + ulp / 2 + ulp / 64];

        SafetensorsWriter.Write(path, [Entry("b", values, 6)], dtype: SafetensorsDType.BF16);
        using var file = SafetensorsFile.Open(path);

        Assert.Equal([0x0001, 0x8000, 0x4040, 0x3F80, 0x3F82, 0x3F81], DataAsU16(path, 6));
        Assert.Equal([tiniest, -0f, 3f, 1f, 1 + 2 * ulp, 1 + ulp], file.Read("b").Data);
    }

    [Fact]
    public void Write_ReplacesAnExistingFileWhole()
    {
        string path = _dir.File("model.safetensors");
        SafetensorsWriter.Write(path, [Entry("old", [1, 2], 2)]);

        SafetensorsWriter.Write(path, [Entry("new", [3], 1)]);
        using var file = SafetensorsFile.Open(path);

        Assert.Equal(["new"], file.Tensors.Select(t => t.Name));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_FailureMidwayLeavesTheOldFileAndNoTemporaryFile()
    {
        string path = _dir.File("model.safetensors");
        SafetensorsWriter.Write(path, [Entry("old", [1, 2], 2)]);
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path, FailingTensors()));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));

        static IEnumerable<KeyValuePair<string, Tensor>> FailingTensors()
        {
            yield return Entry("a", [1], 1);
            throw new InvalidOperationException("producer failed");
        }
    }

    [Fact]
    public void Write_RejectsDuplicateNamesReservedNameAndNonFloatDType()
    {
        string path = _dir.File("bad.safetensors");

        var duplicate = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [Entry("w", [1], 1), Entry("w", [2], 1)]));
        var reserved = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [Entry("__metadata__", [1], 1)]));
        var dtype = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [Entry("w", [1], 1)], dtype: SafetensorsDType.I32));

        Assert.Contains("tensor 'w' is given twice", duplicate.Message);
        Assert.Contains("reserved", reserved.Message);
        Assert.Contains("not I32", dtype.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    /// <summary>The first <paramref name="count"/> 16-bit words of the data buffer, as stored.</summary>
    private static ushort[] DataAsU16(string path, int count)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long start = RawSafetensors.DataStart(bytes);
        return Enumerable.Range(0, count).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)start + 2 * i))).ToArray();
    }
}
