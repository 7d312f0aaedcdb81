namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the panel layouts the micro-kernels stream through: contiguous,
/// 64-byte aligned, and padded with zeros to whole tiles so the kernels never need an edge case inside K loops.
/// Pointers address op(X)[0, 0] of the block (see <see cref="BlockedGemm{TKernel}"/> for how they are offset).
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// op(A)[0..rows, 0..kc] into one micro-panel: dst[p·mr + r], rows rows..mr-1 zero.
    /// op(A)(r, p) is a[r·lda + p], or a[p·lda + r] when <paramref name="transA"/>.
    /// </summary>
    public static void PackAPanel(bool transA, float* a, nint lda, int rows, int kc, int mr, float* dst)
    {
        if (transA)
        {
            for (int p = 0; p < kc; p++)
            {
                var target = new Span<float>(dst + (nint)p * mr, mr);
                new ReadOnlySpan<float>(a + p * lda, rows).CopyTo(target);
                target[rows..].Clear();
            }
            return;
        }

        BlockTranspose.Transpose(a, lda, rows, kc, dst, mr);
        for (int r = rows; r < mr; r++)
            for (int p = 0; p < kc; p++)
                dst[(nint)p * mr + r] = 0f;
    }

    /// <summary>op(A)[0..rows, 0..kc] as consecutive micro-panels of mr rows, panel q at dst + q·kc·mr.</summary>
    public static void PackABlock(bool transA, float* a, nint lda, int rows, int kc, int mr, float* dst)
    {
        for (int i = 0; i < rows; i += mr)
        {
            float* panel = transA ? a + i : a + i * lda;
            PackAPanel(transA, panel, lda, Math.Min(mr, rows - i), kc, mr, dst + (nint)(i / mr) * kc * mr);
        }
    }

    /// <summary>
    /// op(B)[0..kc, 0..cols] into one micro-panel: dst[p·nr + j], columns cols..nr-1 zero.
    /// op(B)(p, j) is b[p·ldb + j], or b[j·ldb + p] when <paramref name="transB"/>.
    /// </summary>
    public static void PackBPanel(bool transB, float* b, nint ldb, int cols, int kc, int nr, float* dst)
    {
        if (!transB)
        {
            for (int p = 0; p < kc; p++)
            {
                var target = new Span<float>(dst + (nint)p * nr, nr);
                new ReadOnlySpan<float>(b + p * ldb, cols).CopyTo(target);
                target[cols..].Clear();
            }
            return;
        }

        BlockTranspose.Transpose(b, ldb, cols, kc, dst, nr);
        for (int j = cols; j < nr; j++)
            for (int p = 0; p < kc; p++)
                dst[(nint)p * nr + j] = 0f;
    }

    /// <summary>op(B)[0..kc, 0..cols] as consecutive micro-panels of nr columns, panel q at dst + q·kc·nr.</summary>
    public static void PackBBlock(bool transB, float* b, nint ldb, int cols, int kc, int nr, float* dst)
    {
        for (int j = 0; j < cols; j += nr)
        {
            float* panel = transB ? b + j * ldb : b + j;
            PackBPanel(transB, panel, ldb, Math.Min(nr, cols - j), kc, nr, dst + (nint)(j / nr) * kc * nr);
        }
    }
}
