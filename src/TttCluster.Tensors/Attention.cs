using TttCluster.Tensors.Kernels;

namespace TttCluster.Tensors;

/// <summary>
/// Softmax attention without a mask, computed flash-attention style: the [seqLen, seqLen] score matrix never
/// exists, only one [64 keys, 64 queries] tile per worker, so memory stays O(seqLen·heads·headDim).
/// </summary>
public static unsafe class Attention
{
    /// <summary>Below about this many multiply-adds the work is not worth waking a second core for.</summary>
    private const long MinParallelWork = 1L << 18;

    /// <summary>
    /// For each head h: output[:, h] = softmax(q_h·k_hᵀ·scale)·v_h over all seqLen keys. q, k, v and output are
    /// [seqLen, heads·headDim], token-major (row stride heads·headDim; head h is columns h·headDim ..
    /// (h+1)·headDim). Runs in parallel over (head, 64-query tile) and is deterministic: each tile is computed by
    /// one thread in a fixed order, so the result does not depend on the thread count or the schedule.
    /// output must not overlap the inputs.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
                               int seqLen, int heads, int headDim, float scale) =>
        Forward(q, k, v, output, seqLen, heads, headDim, scale, maxDegreeOfParallelism: -1);

    /// <summary><see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, float)"/>
    /// on at most the given number of threads (-1: all cores). Callers that already run windows in parallel pass 1.</summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
                                 int seqLen, int heads, int headDim, float scale, int maxDegreeOfParallelism)
    {
        KernelGuard.NotNegative(seqLen);
        KernelGuard.Positive(heads);
        KernelGuard.Positive(headDim);
        long width = (long)heads * headDim;
        long needed = seqLen * width;
        string shape = $"[seqLen={seqLen}, heads·headDim={heads}·{headDim}]";
        KernelGuard.HoldsAtLeast(q.Length, needed, shape);
        KernelGuard.HoldsAtLeast(k.Length, needed, shape);
        KernelGuard.HoldsAtLeast(v.Length, needed, shape);
        KernelGuard.HoldsAtLeast(output.Length, needed, shape);
        if (seqLen == 0)
            return;

        int queryTiles = (seqLen + FlashAttentionTile.QueryTile - 1) / FlashAttentionTile.QueryTile;
        int tasks = heads * queryTiles;
        long work = (long)seqLen * seqLen * width;
        fixed (float* qPtr = q, kPtr = k, vPtr = v, outPtr = output)
        {
            nint qAddress = (nint)qPtr, kAddress = (nint)kPtr, vAddress = (nint)vPtr, outAddress = (nint)outPtr;
            void RunTile(int task)
            {
                // Consecutive tasks share a head, so the two cores stream the same K and V through the caches.
                int head = task / queryTiles, q0 = task % queryTiles * FlashAttentionTile.QueryTile;
                FlashAttentionTile.Run((float*)qAddress, (float*)kAddress, (float*)vAddress, (float*)outAddress, seqLen, (int)width,
                    headDim, head, q0, Math.Min(FlashAttentionTile.QueryTile, seqLen - q0), scale);
            }

            if (tasks == 1 || work < MinParallelWork || Environment.ProcessorCount == 1 || maxDegreeOfParallelism == 1)
                for (int task = 0; task < tasks; task++)
                    RunTile(task);
            else
                Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, RunTile);
        }
    }
}
