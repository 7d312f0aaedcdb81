namespace TttCluster.Tensors;

/// <summary>Which implementation <see cref="Gemm.Sgemm"/> dispatches to.</summary>
public enum GemmBackendKind
{
    /// <summary>OpenBLAS cblas_sgemm, loaded at run time (multi-threaded by OpenBLAS itself).</summary>
    OpenBlas,

    /// <summary>The managed blocked GEMM, parallel over row or column blocks.</summary>
    Managed,
}
