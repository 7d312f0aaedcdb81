namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Where row r of an A micro-panel lives relative to row 0, at one k step. A generic struct argument rather than
/// a runtime stride so the JIT folds the packed case (rows adjacent) down to constant offsets.
/// </summary>
internal interface IRowLayout
{
    static abstract nint Offset(nint row, nint rowStride);
}
