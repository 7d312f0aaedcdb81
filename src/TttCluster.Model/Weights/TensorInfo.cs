namespace TttCluster.Model.Weights;

/// <summary>
/// One tensor as a safetensors header describes it, after validation: the element type, the shape, and where its
/// bytes lie, as [<see cref="DataBegin"/>, <see cref="DataEnd"/>) relative to the start of the data buffer (which
/// follows the header).
/// </summary>
/// <param name="Name">Tensor name, e.g. "blocks.0.attn.q.weight".</param>
/// <param name="DType">Element type as stored in the file.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar.</param>
/// <param name="DataBegin">First byte, relative to the data buffer.</param>
/// <param name="DataEnd">One past the last byte, relative to the data buffer.</param>
public sealed record TensorInfo(string Name, SafetensorsDType DType, IReadOnlyList<int> Shape, long DataBegin, long DataEnd)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (int dim in Shape) count *= dim;
            return count;
        }
    }

    public long ByteLength => DataEnd - DataBegin;

    public override string ToString() => $"{Name} {DType.ToHeaderName()} {FormatShape(Shape)} [{DataBegin}, {DataEnd})";

    internal static string FormatShape(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";
}
