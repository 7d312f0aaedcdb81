using TttCluster.Model.Weights;

namespace TttCluster.Model.Tests.Weights;

/// <summary>The 16-bit float conversions, bit for bit, including the edges a simple shift gets wrong.</summary>
public sealed class FloatCodecTests
{
    [Theory]
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // largest float rounds up to +Inf
    [InlineData(0xFF7FFFFFu, (ushort)0xFF80)] // and its negative to -Inf
    [InlineData(0x7F800000u, (ushort)0x7F80)] // +Inf stays +Inf
    [InlineData(0x7F800001u, (ushort)0x7FC0)] // a NaN whose payload would round away stays NaN, made quiet
    [InlineData(0xFFFFFFFFu, (ushort)0xFFFF)] // a negative NaN keeps its sign
    [InlineData(0x00008000u, (ushort)0x0000)] // halfway below the smallest bfloat16 subnormal: ties to even (0)
    [InlineData(0x00018000u, (ushort)0x0002)] // halfway above it: ties to even (2)
    [InlineData(0x3F808000u, (ushort)0x3F80)] // 1 + half an ulp: ties to even (down)
    [InlineData(0x3F818000u, (ushort)0x3F82)] // 1 + 1.5 ulp: ties to even (up)
    public void NarrowToBF16_RoundsToNearestEven(uint floatBits, ushort expected)
    {
        ushort actual = FloatCodec.NarrowToBF16(BitConverter.UInt32BitsToSingle(floatBits));

        Assert.True(expected == actual, $"0x{floatBits:X8}: expected 0x{expected:X4}, found 0x{actual:X4}");
    }

    [Fact]
    public void WidenBF16_ThenNarrow_IsIdentityForEveryNonNaNPattern()
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var widened = new float[bits.Length];
        var narrowed = new ushort[bits.Length];

        FloatCodec.WidenBF16(bits, widened);
        FloatCodec.NarrowToBF16(widened, narrowed);

        for (int i = 0; i < bits.Length; i++)
        {
            if (float.IsNaN(widened[i])) continue;
            Assert.True(bits[i] == narrowed[i], $"0x{bits[i]:X4} came back as 0x{narrowed[i]:X4}");
        }
    }

    [Fact]
    public void WidenF16_MatchesHalfConversionForEveryPattern()
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var widened = new float[bits.Length];
        var narrowed = new ushort[bits.Length];

        FloatCodec.WidenF16(bits, widened);
        FloatCodec.NarrowToF16(widened, narrowed);

        for (int i = 0; i < bits.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits((float)BitConverter.UInt16BitsToHalf(bits[i])), BitConverter.SingleToInt32Bits(widened[i]));
            if (!float.IsNaN(widened[i]))
                Assert.True(bits[i] == narrowed[i], $"0x{bits[i]:X4} came back as 0x{narrowed[i]:X4}");
        }
    }
}
