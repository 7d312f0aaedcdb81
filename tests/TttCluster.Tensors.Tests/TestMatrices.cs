namespace TttCluster.Tensors.Tests;

/// <summary>Seeded random inputs and comparisons shared by the kernel tests.</summary>
internal static class TestMatrices
{
    /// <summary>length floats uniform in [-range, range), the same for the same seed.</summary>
    public static float[] Random(int length, int seed, float range = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)((random.NextDouble() * 2 - 1) * range);
        return values;
    }

    /// <summary>Largest |actual − expected| over the first expected.Length elements.</summary>
    public static double MaxDiff(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual)
    {
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return double.IsNaN(max) ? double.PositiveInfinity : max;
    }

    /// <summary>Index of the first element whose bits differ, or -1 when the spans are bit-identical.</summary>
    public static int FirstBitDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                return i;
        return expected.Length == actual.Length ? -1 : expected.Length;
    }
}
