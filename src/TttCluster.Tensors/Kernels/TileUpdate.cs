namespace TttCluster.Tensors.Kernels;

/// <summary>How a micro-kernel folds its accumulators (acc, one K block's dot products) into C.</summary>
internal enum TileUpdate
{
    /// <summary>First K block with beta = 0: C = alpha·acc. C is not read, so NaN or garbage in it does not leak in (CBLAS semantics).</summary>
    Overwrite,

    /// <summary>First K block: C = fma(alpha, acc, beta·C).</summary>
    ScaleAndAdd,

    /// <summary>Every later K block: C = fma(alpha, acc, C).</summary>
    Accumulate,
}
