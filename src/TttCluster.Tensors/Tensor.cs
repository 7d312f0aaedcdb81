namespace TttCluster.Tensors;

/// <summary>
/// A dense fp32 tensor: a shape and a row-major (C order) buffer. Deliberately plain: kernels work on spans and
/// explicit sizes, and this type only carries data between them with its shape attached.
/// </summary>
public sealed class Tensor
{
    public int[] Shape { get; }
    public float[] Data { get; }

    public Tensor(params int[] shape)
    {
        Shape = (int[])shape.Clone();
        Data = new float[CountElements(shape)];
    }

    public Tensor(float[] data, params int[] shape)
    {
        long count = CountElements(shape);
        if (data.Length != count)
            throw new ArgumentException($"data has {data.Length} elements but shape [{string.Join(", ", shape)}] needs {count}", nameof(data));
        Shape = (int[])shape.Clone();
        Data = data;
    }

    public int Rank => Shape.Length;
    public int Length => Data.Length;
    public Span<float> Span => Data;

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    public static string FormatShape(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public override string ToString() => $"Tensor{FormatShape(Shape)}";

    public static int CountElements(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"negative dimension in shape {FormatShape(shape)}");
            count *= dim;
            if (count > int.MaxValue) throw new ArgumentException($"shape {FormatShape(shape)} has more than {int.MaxValue} elements");
        }
        return (int)count;
    }
}
