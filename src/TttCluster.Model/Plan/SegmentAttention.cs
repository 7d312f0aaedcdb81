using TttCluster.Model.Layers;
using TttCluster.Tensors;

namespace TttCluster.Model.Plan;

/// <summary>
/// Phase 1 of a block for one segment: adaLN and local attention over window k = [text_k ; frame F·k ; own frames].
/// Frame F·k belongs to segment k − 1 and arrives as a halo; its output goes back to k − 1, which averages it with its
/// own window's output for that frame (<see cref="AverageSharedFrame"/>).
/// </summary>
public static class SegmentAttention
{
    /// <param name="residual">Segment k's residual stream [B, C, D] (C = its chunk length).</param>
    /// <param name="haloResidual">The last own frame of segment k − 1 [B, P, D]; null for k = 0.</param>
    /// <param name="attnOut">Receives X' for segment k's own tokens [B, C, D] (its last frame not yet averaged).</param>
    /// <param name="haloOut">Receives window k's output for the halo frame [B, P, D]; ignored for k = 0.</param>
    public static void Attend(StepContext ctx, int layer, int k, ReadOnlySpan<float> residual, ReadOnlySpan<float> haloResidual,
        Span<float> attnOut, Span<float> haloOut)
    {
        var cfg = ctx.Config;
        var layout = ctx.Layout;
        var block = ctx.Parameters.Blocks[layer];
        var mod = ctx.BlockModulation[layer].Attn;
        int d = cfg.Width, lt = cfg.TextTokensPerSegment, p = cfg.TokensPerFrame;
        int chunk = layout.ChunkLength(k);
        bool hasHalo = k > 0;
        int window = hasHalo ? chunk + p : chunk;                   // text_k [+ halo frame] + own frames
        if (window != layout.WindowLength) throw new InvalidOperationException($"window {k} has {window} tokens, expected {layout.WindowLength}");

        var h = new float[window * d];
        var q = new float[window * d];
        var kk = new float[window * d];
        var v = new float[window * d];
        var o = new float[window * d];
        var attn = new float[window * d];
        for (int b = 0; b < ctx.Batch; b++)
        {
            ReadOnlySpan<float> own = residual.Slice(b * chunk * d, chunk * d);
            // Window rows: text_k, then (k ≥ 1) the halo frame, then the own frames; modulated with text or video vectors.
            Modulation.Apply(own[..(lt * d)], h.AsSpan(0, lt * d), lt, d, block.Norm1Weight, block.Norm1Bias, cfg.LayerNormEps, mod.ShiftText, mod.ScaleText);
            int videoStart = lt;
            if (hasHalo)
            {
                Modulation.Apply(haloResidual.Slice(b * p * d, p * d), h.AsSpan(lt * d, p * d), p, d, block.Norm1Weight, block.Norm1Bias,
                    cfg.LayerNormEps, mod.ShiftVideo, mod.ScaleVideo);
                videoStart += p;
            }
            int ownVideo = chunk - lt;
            Modulation.Apply(own[(lt * d)..], h.AsSpan(videoStart * d, ownVideo * d), ownVideo, d, block.Norm1Weight, block.Norm1Bias,
                cfg.LayerNormEps, mod.ShiftVideo, mod.ScaleVideo);

            Linear.Forward(block.AttnQ, h, window, q);
            Linear.Forward(block.AttnK, h, window, kk);
            Linear.Forward(block.AttnV, h, window, v);
            int heads = cfg.Heads, hd = cfg.HeadDim;
            for (int r = 0; r < window; r++)
            {
                bool isVideo = r >= lt;
                int localFrame = isVideo ? (r - lt) / p : 0, patch = isVideo ? (r - lt) % p : 0;
                for (int head = 0; head < heads; head++)
                {
                    Span<float> qh = q.AsSpan(r * d + head * hd, hd), kh = kk.AsSpan(r * d + head * hd, hd);
                    LayerNormKernel.Forward(qh, qh, 1, hd, block.AttnNormQWeight, block.AttnNormQBias, cfg.LayerNormEps);
                    LayerNormKernel.Forward(kh, kh, 1, hd, block.AttnNormKWeight, block.AttnNormKBias, cfg.LayerNormEps);
                    if (isVideo)
                    {
                        ctx.Rope.Apply(qh, localFrame, patch / cfg.PatchCols, patch % cfg.PatchCols);
                        ctx.Rope.Apply(kh, localFrame, patch / cfg.PatchCols, patch % cfg.PatchCols);
                    }
                }
            }
            // Small windows run on this thread: the executor already runs segments in parallel.
            bool smallWindow = (long)window * window * d < Gemm.SmallProductMacs;
            Attention.Forward(q, kk, v, o, window, heads, hd, 1f / MathF.Sqrt(hd), smallWindow ? 1 : -1);
            Linear.Forward(block.AttnO, o, window, attn);

            Span<float> dst = attnOut.Slice(b * chunk * d, chunk * d);
            attn.AsSpan(0, lt * d).CopyTo(dst);
            if (hasHalo) attn.AsSpan(lt * d, p * d).CopyTo(haloOut.Slice(b * p * d, p * d));
            attn.AsSpan(videoStart * d, ownVideo * d).CopyTo(dst[(lt * d)..]);
        }
    }

    /// <summary>
    /// Segment k's last frame is also frame 0 of window k + 1: its X' is (o_k + o_{k+1})·0.5, both after attn.o.
    /// </summary>
    public static void AverageSharedFrame(StepContext ctx, int k, Span<float> attnOut, ReadOnlySpan<float> haloOutFromNext)
    {
        int d = ctx.Config.Width, p = ctx.Config.TokensPerFrame, chunk = ctx.Layout.ChunkLength(k);
        for (int b = 0; b < ctx.Batch; b++)
        {
            Span<float> last = attnOut.Slice((b * chunk + chunk - p) * d, p * d);
            ReadOnlySpan<float> other = haloOutFromNext.Slice(b * p * d, p * d);
            for (int i = 0; i < last.Length; i++) last[i] = (last[i] + other[i]) * 0.5f;
        }
    }

    /// <summary>The rows of segment k's last own frame [B, P, D]: the halo that window k + 1 needs.</summary>
    public static float[] LastFrame(StepContext ctx, int k, ReadOnlySpan<float> residual)
    {
        int d = ctx.Config.Width, p = ctx.Config.TokensPerFrame, chunk = ctx.Layout.ChunkLength(k);
        var halo = new float[ctx.Batch * p * d];
        for (int b = 0; b < ctx.Batch; b++)
            residual.Slice((b * chunk + chunk - p) * d, p * d).CopyTo(halo.AsSpan(b * p * d));
        return halo;
    }
}
