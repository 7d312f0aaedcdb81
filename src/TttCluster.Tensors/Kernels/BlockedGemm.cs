namespace TttCluster.Tensors.Kernels;

/// <summary>
/// The single-threaded blocked GEMM (the Goto/BLIS loop nest) around one micro-kernel: C[m,n] = alpha·op(A)·op(B)
/// + beta·C, row-major. Loops, outermost first: columns of C in blocks of NC (a B block stays in L2), K in blocks
/// of <see cref="ManagedGemm.KBlock"/>, rows in blocks of MC (an A block stays in L2), then B micro-panels (one
/// stays in L1) and A micro-panels. Small operands are read in place instead of packed.
/// </summary>
internal static unsafe class BlockedGemm<TKernel> where TKernel : struct, IMicroKernel
{
    private const int RowBlock = 192;     // MC
    private const int ColumnBlock = 1024; // NC

    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha, float* a, nint lda,
                           float* b, nint ldb, float beta, float* c, nint ldc, PackingPolicy policy)
    {
        int mr = TKernel.RowsPerTile, nr = TKernel.ColumnsPerTile, kBlock = ManagedGemm.KBlock;
        bool packA = policy == PackingPolicy.Always || (policy == PackingPolicy.Auto && ShouldPackA(m, n, k));
        bool packB = transB || policy == PackingPolicy.Always || (policy == PackingPolicy.Auto && ShouldPackB(m, n, k));
        int rowBlock = Math.Min(RowBlock, RoundUp(m, mr));
        int columnBlock = Math.Min(ColumnBlock, RoundUp(n, nr));
        int kMax = Math.Min(kBlock, k);

        ThreadScratch.ForGemm.Reserve(
            packA ? rowBlock * kMax : 0, packB ? columnBlock * kMax : 0, kMax * mr, kMax * nr + mr * nr,
            out float* packedA, out float* packedB, out float* edgeA, out float* edgeB);
        float* edgeTile = edgeB + kMax * nr;

        for (int j0 = 0; j0 < n; j0 += columnBlock)
        {
            int nc = Math.Min(columnBlock, n - j0);
            for (int p0 = 0; p0 < k; p0 += kBlock)
            {
                int kc = Math.Min(kBlock, k - p0);
                TileUpdate update = p0 > 0 ? TileUpdate.Accumulate : beta == 0f ? TileUpdate.Overwrite : TileUpdate.ScaleAndAdd;
                float* bBlock = transB ? b + j0 * ldb + p0 : b + p0 * ldb + j0;
                int fullColumns = nc / nr * nr;
                if (packB)
                    GemmPacking.PackBBlock(transB, bBlock, ldb, nc, kc, nr, packedB);
                else if (fullColumns < nc)
                    GemmPacking.PackBPanel(transB, bBlock + fullColumns, ldb, nc - fullColumns, kc, nr, edgeB);

                for (int i0 = 0; i0 < m; i0 += rowBlock)
                {
                    int mc = Math.Min(rowBlock, m - i0);
                    float* aBlock = transA ? a + p0 * lda + i0 : a + i0 * lda + p0;
                    int fullRows = mc / mr * mr;
                    if (packA)
                        GemmPacking.PackABlock(transA, aBlock, lda, mc, kc, mr, packedA);
                    else if (fullRows < mc)
                        GemmPacking.PackAPanel(transA, transA ? aBlock + fullRows : aBlock + fullRows * lda, lda, mc - fullRows, kc, mr, edgeA);

                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        float* bPanel = packB ? packedB + (nint)(jr / nr) * kc * nr : cols == nr ? bBlock + jr : edgeB;
                        nint bStep = packB || cols < nr ? nr : ldb;

                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            float* cTile = c + (i0 + ir) * ldc + j0 + jr;
                            if (rows == mr && cols == nr)
                            {
                                MultiplyTile(transA, packA, kc, aBlock, lda, ir, packedA, edgeA, false, bPanel, bStep, cTile, ldc, alpha, beta, update);
                                continue;
                            }
                            // Edge tile: run the full-size kernel on a private copy, then write back only what exists.
                            if (update != TileUpdate.Overwrite)
                                CopyTile(cTile, ldc, edgeTile, nr, rows, cols);
                            MultiplyTile(transA, packA, kc, aBlock, lda, ir, packedA, edgeA, rows < mr, bPanel, bStep, edgeTile, nr, alpha, beta, update);
                            CopyTile(edgeTile, nr, cTile, ldc, rows, cols);
                        }
                    }
                }
            }
        }
    }

    private static void MultiplyTile(bool transA, bool packA, int kc, float* aBlock, nint lda, int ir, float* packedA, float* edgeA,
                                     bool isEdgeRow, float* bPanel, nint bStep, float* c, nint ldc, float alpha, float beta, TileUpdate update)
    {
        int mr = TKernel.RowsPerTile;
        if (packA)
            TKernel.Multiply<AdjacentRows>(kc, packedA + (nint)(ir / mr) * kc * mr, 1, mr, bPanel, bStep, c, ldc, alpha, beta, update);
        else if (isEdgeRow)
            TKernel.Multiply<AdjacentRows>(kc, edgeA, 1, mr, bPanel, bStep, c, ldc, alpha, beta, update);
        else if (transA)
            TKernel.Multiply<AdjacentRows>(kc, aBlock + ir, 1, lda, bPanel, bStep, c, ldc, alpha, beta, update);
        else
            TKernel.Multiply<StridedRows>(kc, aBlock + ir * lda, lda, 1, bPanel, bStep, c, ldc, alpha, beta, update);
    }

    private static void CopyTile(float* source, nint sourceStride, float* target, nint targetStride, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
            new ReadOnlySpan<float>(source + r * sourceStride, cols).CopyTo(new Span<float>(target + r * targetStride, cols));
    }

    /// <summary>
    /// Packing A costs one pass over it per column block and pays off once each A panel is reused across many B
    /// panels, or when a transposed A would otherwise be read a few floats per cache line.
    /// </summary>
    private static bool ShouldPackA(int m, int n, int k) =>
        (long)m * k > 128 * 256 && n > 4 * TKernel.ColumnsPerTile;

    /// <summary>Reading B in place strides across rows; past L1-sized operands a packed copy streams better.</summary>
    private static bool ShouldPackB(int m, int n, int k) =>
        (long)k * n > 128 * 256 && m > 4 * TKernel.RowsPerTile;

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
