using System.Buffers.Binary;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace TttCluster.Model.Weights;

/// <summary>
/// Conversions between fp32 and the 16-bit float formats a weights file may hold. Widening (F16, BF16 → F32) is
/// exact; narrowing rounds to nearest, ties to even, as PyTorch does.
/// </summary>
internal static class FloatCodec
{
    /// <summary>Widens IEEE half bit patterns exactly (every half, subnormals included, is an fp32 value).</summary>
    public static void WidenF16(ReadOnlySpan<ushort> bits, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(bits), destination);

    /// <summary>Widens bfloat16 bit patterns exactly: a bfloat16 is the top half of an fp32.</summary>
    public static void WidenBF16(ReadOnlySpan<ushort> bits, Span<float> destination)
    {
        if (destination.Length < bits.Length) throw new ArgumentException("destination is shorter than the source", nameof(destination));

        // Vectorised: a scalar loop widens only ~150M values/s, which matters for multi-GB checkpoints.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= bits.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(bits.Slice(i, Vector<ushort>.Count)), out Vector<uint> low, out Vector<uint> high);
                Vector.AsVectorSingle(Vector.ShiftLeft(low, 16)).CopyTo(destination.Slice(i, Vector<uint>.Count));
                Vector.AsVectorSingle(Vector.ShiftLeft(high, 16)).CopyTo(destination.Slice(i + Vector<uint>.Count, Vector<uint>.Count));
            }
        }
        for (; i < bits.Length; i++)
            destination[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
    }

    /// <summary>Narrows to IEEE half bit patterns, round to nearest even (overflow becomes ±Inf).</summary>
    public static void NarrowToF16(ReadOnlySpan<float> values, Span<ushort> destination) =>
        TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<ushort, Half>(destination));

    /// <summary>Narrows to bfloat16 bit patterns, round to nearest even; NaN stays NaN (quiet) with its sign.</summary>
    public static void NarrowToBF16(ReadOnlySpan<float> values, Span<ushort> destination)
    {
        for (int i = 0; i < values.Length; i++)
            destination[i] = NarrowToBF16(values[i]);
    }

    public static ushort NarrowToBF16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        // Rounding could carry a NaN's payload into the exponent and make it Inf; keep it a quiet NaN instead.
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        uint lsbOfResult = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFF + lsbOfResult) >> 16);
    }

    /// <summary>Files are little-endian: on a big-endian host, swap in place after reading and before writing.</summary>
    public static void SwapIfBigEndian(Span<ushort> values)
    {
        if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(values, values);
    }

    /// <inheritdoc cref="SwapIfBigEndian(Span{ushort})"/>
    public static void SwapIfBigEndian(Span<float> values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            Span<uint> words = MemoryMarshal.Cast<float, uint>(values);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
    }
}
