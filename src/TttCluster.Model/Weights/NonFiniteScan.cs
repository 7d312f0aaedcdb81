using System.Numerics;

namespace TttCluster.Model.Weights;

/// <summary>Finds NaN and ±Inf in loaded weights, which would otherwise surface far away as a black video.</summary>
internal static class NonFiniteScan
{
    /// <summary>Index of the first NaN or ±Inf, or -1 when all values are finite.</summary>
    public static int IndexOfFirstNonFinite(ReadOnlySpan<float> values)
    {
        // x - x is 0 for every finite x and NaN for NaN and ±Inf, so whole vectors can be cleared at once.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values.Slice(i, Vector<float>.Count));
                if (!Vector.EqualsAll(v - v, Vector<float>.Zero)) break;
            }
        }
        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }
        return -1;
    }

    /// <summary>A flat row-major index as a multi-index, e.g. 123 in [2, 64] → "[1, 59]".</summary>
    public static string FormatIndex(long flatIndex, IReadOnlyList<int> shape)
    {
        var index = new long[shape.Count];
        for (int axis = shape.Count - 1; axis >= 0; axis--)
        {
            index[axis] = flatIndex % shape[axis];
            flatIndex /= shape[axis];
        }
        return "[" + string.Join(", ", index) + "]";
    }

    public static string Describe(float value) =>
        float.IsNaN(value) ? "NaN" : float.IsPositiveInfinity(value) ? "+Inf" : "-Inf";
}
