namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Whether the managed GEMM copies A and B into packed panels. Results are bit-identical either way (the
/// per-element arithmetic does not change); only speed does. Tests force each choice to prove that.
/// </summary>
internal enum PackingPolicy
{
    /// <summary>Pack when the operands are large enough for the copy to pay for itself.</summary>
    Auto,

    /// <summary>Always pack A and B.</summary>
    Always,

    /// <summary>Read A and B in place wherever the layout allows (edge panels and a transposed B are still packed).</summary>
    Never,
}
