using System.Buffers;
using System.Numerics.Tensors;
using TttCluster.Model.Layers;
using TttCluster.Model.Ttt;
using TttCluster.Tensors;

namespace TttCluster.Model.Plan;

/// <summary>
/// The parts of a TTT layer that need no hidden state, for one segment: the scan inputs (before the scan) and the
/// gated output (after it). Both are token-wise, so they run where the segment lives, in parallel with other segments.
/// </summary>
public static class SegmentTtt
{
    /// <summary>Rows transposed together between token-major [C, H·d] and head-major [H, C, d].</summary>
    private const int RowBlock = 64;

    /// <summary>
    /// Q, K (L2-normalised, global RoPE on video), Tg = LN′(V − K) and η for segment k's tokens <paramref name="x"/> [B, C, D],
    /// in the direction's order (the reverse direction visits the chunk back to front).
    /// </summary>
    public static TttInputs Prepare(StepContext ctx, int layer, int k, ReadOnlySpan<float> x, bool reverse)
    {
        var cfg = ctx.Config;
        var block = ctx.Parameters.Blocks[layer];
        int d = cfg.Width, heads = cfg.Heads, hd = cfg.HeadDim, lt = cfg.TextTokensPerSegment;
        int chunk = ctx.Layout.ChunkLength(k);
        var inputs = new TttInputs(ctx.Batch, heads, hd, chunk);
        // Scratch from the shared pool: at the big model's size these are hundreds of MB each, and fresh arrays
        // would be zeroed and page-faulted in on every call.
        float[] q = ArrayPool<float>.Shared.Rent(chunk * d), kk = ArrayPool<float>.Shared.Rent(chunk * d);
        float[] v = ArrayPool<float>.Shared.Rent(chunk * d), gate = ArrayPool<float>.Shared.Rent(chunk * heads);
        Span<float> diff = stackalloc float[hd];
        float etaScale = cfg.TttBaseLr / hd;
        for (int b = 0; b < ctx.Batch; b++)
        {
            ReadOnlySpan<float> xb = x.Slice(b * chunk * d, chunk * d);
            Linear.Forward(block.TttQ, xb, chunk, q);
            Linear.Forward(block.TttK, xb, chunk, kk);
            Linear.Forward(block.TttV, xb, chunk, v);
            Linear.Forward(block.LrGate, xb, chunk, gate);
            // Rows in blocks, heads inside: the head-major writes of a block stay within a few pages per head
            // (one row's 48 heads are megabytes apart in [H, C, d], and TLB misses are costly, more so in a VM).
            for (int r0 = 0; r0 < chunk; r0 += RowBlock)
                for (int h = 0; h < heads; h++)
                    for (int r = r0; r < Math.Min(r0 + RowBlock, chunk); r++)
                    {
                        int row = reverse ? chunk - 1 - r : r;
                        Span<float> qh = q.AsSpan(r * d + h * hd, hd), kh = kk.AsSpan(r * d + h * hd, hd);
                        L2Normalize(qh);
                        L2Normalize(kh);
                        if (r >= lt)
                        {
                            (int frame, int pr, int pc) = ctx.Layout.VideoPosition(k, r - lt);
                            ctx.Rope.Apply(qh, frame, pr, pc);
                            ctx.Rope.Apply(kh, frame, pr, pc);
                        }
                        int off = inputs.VectorOffset(b, h, row);
                        qh.CopyTo(inputs.Q.AsSpan(off, hd));
                        kh.CopyTo(inputs.K.AsSpan(off, hd));
                        ReadOnlySpan<float> vh = v.AsSpan(r * d + h * hd, hd);
                        for (int c = 0; c < hd; c++) diff[c] = vh[c] - kh[c];
                        LayerNormKernel.ForwardUnbiasedStd(diff, inputs.Target.AsSpan(off, hd),
                            block.TttLnWeight.AsSpan(h * hd, hd), block.TttLnBias.AsSpan(h * hd, hd), cfg.LayerNormEps);
                        inputs.Eta[inputs.EtaOffset(b, h, row)] = etaScale * Activations.Sigmoid(gate[r * heads + h]) / cfg.MiniBatch;
                    }
        }
        foreach (var scratch in new[] { q, kk, v, gate }) ArrayPool<float>.Shared.Return(scratch);
        return inputs;
    }

    /// <summary>x / max(‖x‖₂, 1e-12).</summary>
    private static void L2Normalize(Span<float> x)
    {
        float squares = 0;
        for (int i = 0; i < x.Length; i++) squares += x[i] * x[i];
        float norm = MathF.Max(MathF.Sqrt(squares), 1e-12f);
        for (int i = 0; i < x.Length; i++) x[i] /= norm;
    }

    /// <summary>
    /// z = x + tanh(α)⊙ttt.o(post_norm(O)) for segment k, with α the text or video gate of the direction.
    /// <paramref name="scanOutput"/> is [B, H, C, d] in the segment's token order (not the direction's).
    /// </summary>
    public static float[] Finish(StepContext ctx, int layer, int k, ReadOnlySpan<float> x, ReadOnlySpan<float> scanOutput, bool reverse)
    {
        var cfg = ctx.Config;
        var block = ctx.Parameters.Blocks[layer];
        int d = cfg.Width, heads = cfg.Heads, hd = cfg.HeadDim, lt = cfg.TextTokensPerSegment;
        int chunk = ctx.Layout.ChunkLength(k);
        var tanhText = new float[d];
        var tanhVideo = new float[d];
        TensorPrimitives.Tanh(reverse ? block.GateBackwardText : block.GateForwardText, tanhText);
        TensorPrimitives.Tanh(reverse ? block.GateBackwardVideo : block.GateForwardVideo, tanhVideo);
        float[] tokens = ArrayPool<float>.Shared.Rent(chunk * d), projected = ArrayPool<float>.Shared.Rent(chunk * d);
        var z = new float[ctx.Batch * chunk * d];
        for (int b = 0; b < ctx.Batch; b++)
        {
            // [H, C, d] → [C, H·d]: heads concatenated per token, in row blocks for the same reason as in Prepare.
            for (int r0 = 0; r0 < chunk; r0 += RowBlock)
                for (int h = 0; h < heads; h++)
                    for (int r = r0; r < Math.Min(r0 + RowBlock, chunk); r++)
                        scanOutput.Slice(((b * heads + h) * chunk + r) * hd, hd).CopyTo(tokens.AsSpan(r * d + h * hd, hd));
            LayerNormKernel.Forward(tokens.AsSpan(0, chunk * d), tokens, chunk, d, block.PostNormWeight, block.PostNormBias, cfg.LayerNormEps);
            Linear.Forward(block.TttO, tokens, chunk, projected);
            for (int r = 0; r < chunk; r++)
            {
                Span<float> zr = z.AsSpan((b * chunk + r) * d, d);
                TensorPrimitives.Multiply(projected.AsSpan(r * d, d), r < lt ? tanhText : tanhVideo, zr);
                TensorPrimitives.Add(zr, x.Slice((b * chunk + r) * d, d), zr);
            }
        }
        ArrayPool<float>.Shared.Return(tokens);
        ArrayPool<float>.Shared.Return(projected);
        return z;
    }
}
