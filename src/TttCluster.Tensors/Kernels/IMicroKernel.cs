namespace TttCluster.Tensors.Kernels;

/// <summary>
/// A register-blocked tile product: a [RowsPerTile, ColumnsPerTile] tile of C from kc steps of an A micro-panel
/// and a B micro-panel. Every implementation computes each element the same way, acc = fma(a[r,p], b[p,j], acc)
/// for p = 0..kc-1 in order starting from zero, then folds acc into C as <see cref="TileUpdate"/> says; so the
/// result of an element never depends on the tile shape, the vector width, or which other rows and columns are
/// in the call.
/// </summary>
internal unsafe interface IMicroKernel
{
    /// <summary>MR: rows of C per tile.</summary>
    static abstract int RowsPerTile { get; }

    /// <summary>NR: columns of C per tile; B panels are this wide.</summary>
    static abstract int ColumnsPerTile { get; }

    /// <summary>
    /// C[r, j] ⊕= alpha · Σ_p A(r, p)·B(p, j) for r &lt; MR, j &lt; NR, p &lt; kc. A(r, p) is
    /// a[TLayout.Offset(r, aRowStride) + p·aStep]; B(p, j) is b[p·bStep + j]; C(r, j) is c[r·ldc + j].
    /// </summary>
    static abstract void Multiply<TLayout>(int kc, float* a, nint aRowStride, nint aStep, float* b, nint bStep,
                                           float* c, nint ldc, float alpha, float beta, TileUpdate update)
        where TLayout : struct, IRowLayout;
}
