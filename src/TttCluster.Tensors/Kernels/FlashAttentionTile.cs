using System.Numerics.Tensors;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// One (head, query tile) of memory-efficient attention: streams the keys in tiles, keeping a running maximum
/// and sum per query (the online softmax of flash attention), so only a [KeyTile, QueryTile] block of scores
/// ever exists. Everything is held transposed, queries along the contiguous axis: then the per-query softmax
/// statistics and rescaling are plain vector operations across a row, and both tile products are GEMMs that
/// need no packing (K·Qᵀ reads K rows in place; Vᵀ·Pᵀ reads V rows in place as a transposed A).
/// </summary>
internal static unsafe class FlashAttentionTile
{
    /// <summary>
    /// Queries per tile: the width of every vector operation here, and the GEMMs' n. 128 rather than 64 halves
    /// how often K and V stream through the cache (measured 9% faster at the CogVideoX-5B shape; 128 keys per
    /// tile instead of 64 was slower).
    /// </summary>
    public const int QueryTile = 128;

    /// <summary>Keys per tile: the scores GEMM's m and the output GEMM's k.</summary>
    public const int KeyTile = 64;

    /// <summary>
    /// Output rows [q0, q0 + queries) of one head. q, k, v, output point at row 0, column 0 of the whole
    /// [seqLen, width] arrays; the head's columns start at head·headDim.
    /// </summary>
    public static void Run(float* q, float* k, float* v, float* output, int seqLen, int width, int headDim, int head, int q0, int queries, float scale)
    {
        int n = queries;
        ThreadScratch.ForAttention.Reserve(headDim * n, KeyTile * n, headDim * n, 4 * n,
            out float* queryT, out float* scoresT, out float* outputT, out float* stats);
        float* runningMax = stats, runningSum = stats + n, correction = stats + 2 * n, tileMax = stats + 3 * n;
        nint column = (nint)head * headDim;

        BlockTranspose.Transpose(q + (nint)q0 * width + column, width, n, headDim, queryT, n);   // Qᵀ (headDim, n)
        new Span<float>(outputT, headDim * n).Clear();
        new Span<float>(runningMax, n).Fill(float.NegativeInfinity);
        new Span<float>(runningSum, n).Clear();

        for (int k0 = 0; k0 < seqLen; k0 += KeyTile)
        {
            int keys = Math.Min(KeyTile, seqLen - k0);
            float* keyRows = k + (nint)k0 * width + column;
            float* valueRows = v + (nint)k0 * width + column;

            // Sᵀ = scale · K_tile · Qᵀ                                        (keys, n)
            ManagedGemm.Run(false, false, keys, n, headDim, scale, keyRows, width, queryT, n, 0f, scoresT, n);

            // New running max per query; correction = exp(old max − new max) rescales what was summed so far.
            SoftmaxColumns.ColumnMax(scoresT, keys, n, tileMax);
            var maxSpan = new Span<float>(runningMax, n);
            TensorPrimitives.Max(new ReadOnlySpan<float>(tileMax, n), maxSpan, new Span<float>(tileMax, n));
            TensorPrimitives.Subtract(maxSpan, new ReadOnlySpan<float>(tileMax, n), new Span<float>(correction, n));
            TensorPrimitives.Exp(new ReadOnlySpan<float>(correction, n), new Span<float>(correction, n));
            new ReadOnlySpan<float>(tileMax, n).CopyTo(maxSpan);

            // Pᵀ = exp(Sᵀ − max), in place; sum = sum·correction + column sums of Pᵀ.
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(runningSum, n), new ReadOnlySpan<float>(correction, n), new Span<float>(runningSum, n));
            SoftmaxColumns.ExpAndAddColumnSums(scoresT, keys, n, runningMax, runningSum);

            // Oᵀ = Oᵀ·correction + V_tileᵀ · Pᵀ                                (headDim, n)
            if (k0 > 0)
                ScaleRows(outputT, headDim, n, correction);
            ManagedGemm.Run(true, false, headDim, n, keys, 1f, valueRows, width, scoresT, n, 1f, outputT, n);
        }

        // O = (Oᵀ / sum)ᵀ, written into this head's columns of the output rows.
        TensorPrimitives.Reciprocal(new ReadOnlySpan<float>(runningSum, n), new Span<float>(correction, n));
        ScaleRows(outputT, headDim, n, correction);
        BlockTranspose.Transpose(outputT, n, headDim, n, output + (nint)q0 * width + column, width);
    }

    /// <summary>block[r·n + j] *= factors[j].</summary>
    private static void ScaleRows(float* block, int rows, int n, float* factors)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(block + (nint)r * n, n);
            TensorPrimitives.Multiply(row, new ReadOnlySpan<float>(factors, n), row);
        }
    }
}
