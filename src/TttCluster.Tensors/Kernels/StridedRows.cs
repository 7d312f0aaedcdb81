namespace TttCluster.Tensors.Kernels;

/// <summary>Rows of the A panel are a row stride apart: a non-transposed A read in place, without packing.</summary>
internal readonly struct StridedRows : IRowLayout
{
    public static nint Offset(nint row, nint rowStride) => row * rowStride;
}
