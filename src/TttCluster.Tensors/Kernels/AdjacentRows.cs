namespace TttCluster.Tensors.Kernels;

/// <summary>Rows of the A panel are adjacent floats at each k step: a packed panel, or op(A) of a transposed A.</summary>
internal readonly struct AdjacentRows : IRowLayout
{
    public static nint Offset(nint row, nint rowStride) => row;
}
