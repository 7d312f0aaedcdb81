namespace TttCluster.Model.Weights;

/// <summary>Header spelling and element size of each <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    /// <summary>The dtypes that widen exactly to fp32 on read, and that the writer can produce.</summary>
    public static IReadOnlyList<SafetensorsDType> Floating { get; } = [SafetensorsDType.F32, SafetensorsDType.F16, SafetensorsDType.BF16];

    public static bool IsFloating(this SafetensorsDType dtype) =>
        dtype is SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16;

    /// <summary>Bytes per element.</summary>
    public static int SizeInBytes(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BOOL or SafetensorsDType.U8 or SafetensorsDType.I8
            or SafetensorsDType.F8_E5M2 or SafetensorsDType.F8_E4M3 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>The dtype as spelled in a header, e.g. "BF16".</summary>
    public static string ToHeaderName(this SafetensorsDType dtype) => dtype.ToString();

    /// <summary>
    /// Parses a header spelling exactly (case-sensitive). Enum.TryParse is not used on purpose: it also accepts
    /// numbers ("11") and other casings, which a header must not get away with.
    /// </summary>
    public static bool TryParseHeaderName(string name, out SafetensorsDType dtype)
    {
        foreach (SafetensorsDType candidate in Enum.GetValues<SafetensorsDType>())
        {
            if (candidate.ToHeaderName() == name)
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>All header spellings, comma separated, for error messages.</summary>
    internal static string AllHeaderNames => string.Join(", ", Enum.GetValues<SafetensorsDType>().Select(d => d.ToHeaderName()));

    internal static string FloatingHeaderNames => string.Join(", ", Floating.Select(d => d.ToHeaderName()));
}
