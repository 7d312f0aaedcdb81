using TttCluster.Model.Weights;
using TttCluster.Tensors;

namespace TttCluster.Model.Tests.Weights;

/// <summary>Reading tensor data: exact widening of 16-bit floats, and refusing values that would poison a forward pass.</summary>
public sealed class SafetensorsReadTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SafetensorsFile OpenRaw(string headerJson, byte[] data)
    {
        string path = _dir.File("raw.safetensors");
        RawSafetensors.Write(path, headerJson, data);
        return SafetensorsFile.Open(path);
    }

    private static void AssertBitsEqual(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"element {i}: expected {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}), found {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8})");
    }

    [Fact]
    public void Read_F16WidensKnownBitPatternsExactly()
    {
        // smallest subnormal, largest subnormal, smallest normal, 1, -2, largest finite, -0, 1/3 rounded
        ushort[] bits = [0x0001, 0x03FF, 0x0400, 0x3C00, 0xC000, 0x7BFF, 0x8000, 0x3555];
        float[] expected = [MathF.Pow(2, -24), 1023 * MathF.Pow(2, -24), MathF.Pow(2, -14), 1f, -2f, 65504f, -0f, 0.333251953125f];
        using var file = OpenRaw("""{"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]}}""", RawSafetensors.U16(bits));

        var tensor = file.Read("h");

        Assert.Equal([2, 4], tensor.Shape);
        AssertBitsEqual(expected, tensor.Data);
    }

    [Fact]
    public void Read_BF16WidensKnownBitPatternsExactly()
    {
        // smallest subnormal (2^-133), 1, -2, largest finite, -0, smallest normal, 1 + 2^-7
        ushort[] bits = [0x0001, 0x3F80, 0xC000, 0x7F7F, 0x8000, 0x0080, 0x3F81];
        float[] expected =
        [
            BitConverter.Int32BitsToSingle(0x00010000), 1f, -2f, BitConverter.Int32BitsToSingle(0x7F7F0000), -0f,
            BitConverter.Int32BitsToSingle(0x00800000), 1f + MathF.Pow(2, -7),
        ];
        using var file = OpenRaw("""{"b":{"dtype":"BF16","shape":[7],"data_offsets":[0,14]}}""", RawSafetensors.U16(bits));

        AssertBitsEqual(expected, file.Read("b").Data);
    }

    [Fact]
    public void Read_F16SpanningSeveralChunksAtAnOddOffsetIsExact()
    {
        int count = 2 * SafetensorsFile.ChunkElements + 3;
        var bits = new ushort[count];
        for (int i = 0; i < count; i++) bits[i] = (ushort)(i % 0x7C00); // cycles through every finite positive half
        var data = new byte[2 + count * 2];
        RawSafetensors.U16(bits).CopyTo(data, 2);
        using var file = OpenRaw($$$"""{"pad":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"h":{"dtype":"F16","shape":[{{{count}}}],"data_offsets":[2,{{{data.Length}}}]}}""", data);

        float[] values = file.Read("h").Data;

        for (int i = 0; i < count; i++)
        {
            if (values[i] != (float)BitConverter.UInt16BitsToHalf(bits[i]))
                Assert.Fail($"element {i}: expected {(float)BitConverter.UInt16BitsToHalf(bits[i])}, found {values[i]}");
        }
    }

    [Fact]
    public void Read_F32SpanningTwoChunksIsExact()
    {
        string path = _dir.File("big.safetensors");
        var tensor = new Tensor(SafetensorsFile.F32ChunkElements + 3);
        for (int i = 0; i < tensor.Length; i++) tensor.Data[i] = i;
        SafetensorsWriter.Write(path, [new("w", tensor)]);
        using var file = SafetensorsFile.Open(path);

        float[] values = file.Read("w").Data;

        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != (float)i) Assert.Fail($"element {i}: expected {(float)i}, found {values[i]}");
        }
    }

    [Fact]
    public void Read_NaNNamesTensorElementAndIndex()
    {
        var values = new float[2 * 64];
        values[123] = float.NaN;
        using var file = OpenRaw("""{"blocks.0.attn.q.weight":{"dtype":"F32","shape":[2,64],"data_offsets":[0,512]}}""", RawSafetensors.F32(values));

        var error = Assert.Throws<WeightsFileException>(() => file.Read("blocks.0.attn.q.weight"));

        Assert.StartsWith(file.Path + ": tensor 'blocks.0.attn.q.weight': has NaN at element 123 (index [1, 59]); expected finite values", error.Message);
        Assert.Equal("blocks.0.attn.q.weight", error.TensorName);
    }

    [Theory]
    [InlineData("F32", 0x7F800000u, "+Inf")]
    [InlineData("F32", 0xFF800000u, "-Inf")]
    [InlineData("F16", 0x7C00u, "+Inf")]
    [InlineData("F16", 0xFE00u, "NaN")]
    [InlineData("BF16", 0xFF80u, "-Inf")]
    [InlineData("BF16", 0x7FC1u, "NaN")]
    public void Read_NonFiniteValuesAreRefusedInEveryDType(string dtype, uint badBits, string found)
    {
        bool wide = dtype == "F32";
        byte[] data = wide ? RawSafetensors.F32(1f, 2f, BitConverter.UInt32BitsToSingle(badBits)) : RawSafetensors.U16(0x3C00, 0x3C00, (ushort)badBits);
        using var file = OpenRaw($$$"""{"gate":{"dtype":"{{{dtype}}}","shape":[3,1],"data_offsets":[0,{{{data.Length}}}]}}""", data);

        var error = Assert.Throws<WeightsFileException>(() => file.Read("gate"));

        Assert.Contains($"tensor 'gate': has {found} at element 2 (index [2, 0])", error.Message);
    }

    [Fact]
    public void Read_UnsupportedDTypeNamesDTypeAndTensor()
    {
        using var file = OpenRaw("""{"step":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", new byte[8]);

        var error = Assert.Throws<WeightsFileException>(() => file.Read("step"));

        Assert.Equal("step", error.TensorName);
        Assert.Contains("expected dtype F32, F16, BF16, found I64", error.Message);
    }

    [Fact]
    public void Read_UnknownNameSuggestsClosestNames()
    {
        using var file = OpenRaw("""{"final.linear.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);

        var error = Assert.Throws<WeightsFileException>(() => file.Read("final.linear.bias"));

        Assert.Contains("tensor 'final.linear.bias': expected a tensor of that name, found none among 1 tensors", error.Message);
        Assert.Contains("'final.linear.weight'", error.Message);
    }

    [Fact]
    public void Read_AfterDisposeThrowsObjectDisposed()
    {
        var file = OpenRaw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.Read("a"));
    }
}
