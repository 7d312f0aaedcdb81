using TttCluster.Model.Layers;

namespace TttCluster.Model.Plan;

/// <summary>Where a segment's residual stream starts (embeddings) and ends (final layer → v-prediction).</summary>
public static class SegmentEdges
{
    /// <summary>
    /// Segment k's initial residual [B, C, D]: text_proj of its text per stream, then patch_embed of its own frames.
    /// </summary>
    /// <param name="latent">The whole latent [T, C, H, W] (only segment k's own frames are read).</param>
    /// <param name="text">Per stream, the text-encoder output [n, Lt, TextDim].</param>
    public static float[] Embed(StepContext ctx, int k, ReadOnlySpan<float> latent, IReadOnlyList<float[]> text)
    {
        var cfg = ctx.Config;
        int frameSize = cfg.LatentFrameFloats, textFloats = cfg.TextFloatsPerSegment;
        for (int b = 0; b < text.Count; b++)
            if (text[b].Length != ctx.Layout.Segments * textFloats)
                throw new ArgumentException($"text stream {b}: expected [{ctx.Layout.Segments}, {cfg.TextTokensPerSegment}, {cfg.TextDim}] = {ctx.Layout.Segments * textFloats} floats, found {text[b].Length}");
        return EmbedOwn(ctx, k, latent.Slice(ctx.Layout.FirstOwnFrame(k) * frameSize, ctx.Layout.OwnFrames(k) * frameSize),
            text.Select(t => t.AsSpan(k * textFloats, textFloats).ToArray()).ToArray());
    }

    /// <summary>Segment k's initial residual from only what the segment holds: its own latent frames and its own text.</summary>
    /// <param name="ownLatent">Segment k's frames [ownFrames, C, H, W].</param>
    /// <param name="ownText">Per stream, segment k's text tokens [Lt, TextDim].</param>
    public static float[] EmbedOwn(StepContext ctx, int k, ReadOnlySpan<float> ownLatent, IReadOnlyList<float[]> ownText)
    {
        var cfg = ctx.Config;
        var p = ctx.Parameters;
        int d = cfg.Width, lt = cfg.TextTokensPerSegment, chunk = ctx.Layout.ChunkLength(k);
        int ownFrames = ctx.Layout.OwnFrames(k), tokens = ownFrames * cfg.TokensPerFrame;
        if (ownText.Count != ctx.Batch) throw new ArgumentException($"expected text for {ctx.Batch} streams, found {ownText.Count}");
        var residual = new float[ctx.Batch * chunk * d];
        var patches = Patchify(cfg, ownLatent, 0, ownFrames);
        var video = new float[tokens * d];
        Linear.Forward(p.PatchEmbed, patches, tokens, video);
        for (int b = 0; b < ctx.Batch; b++)
        {
            if (ownText[b].Length != cfg.TextFloatsPerSegment)
                throw new ArgumentException($"text stream {b} of segment {k}: expected [{lt}, {cfg.TextDim}], found {ownText[b].Length} floats");
            Linear.Forward(p.TextProj, ownText[b], lt, residual.AsSpan(b * chunk * d, lt * d));
            video.CopyTo(residual.AsSpan((b * chunk + lt) * d, tokens * d));
        }
        return residual;
    }

    /// <summary>Patch vectors [frames·P, C·p·p] in (c, py, px) order for frames first .. first + count − 1.</summary>
    public static float[] Patchify(ModelConfig cfg, ReadOnlySpan<float> latent, int firstFrame, int count)
    {
        int c = cfg.LatentChannels, hgt = cfg.LatentHeight, wid = cfg.LatentWidth, pt = cfg.Patch;
        int features = cfg.PatchFeatures, perFrame = cfg.TokensPerFrame, frameSize = cfg.LatentFrameFloats;
        var patches = new float[count * perFrame * features];
        for (int f = 0; f < count; f++)
        {
            ReadOnlySpan<float> frame = latent.Slice((firstFrame + f) * frameSize, frameSize);
            for (int i = 0; i < cfg.PatchRows; i++)
                for (int j = 0; j < cfg.PatchCols; j++)
                {
                    int dst = ((f * perFrame) + i * cfg.PatchCols + j) * features;
                    for (int ch = 0; ch < c; ch++)
                        for (int py = 0; py < pt; py++)
                            for (int px = 0; px < pt; px++)
                                patches[dst++] = frame[(ch * hgt + i * pt + py) * wid + j * pt + px];
                }
        }
        return patches;
    }

    /// <summary>
    /// The v-prediction for segment k's own frames, [B, ownFrames, C, H, W]: final_norm, a plain LN modulated by the
    /// final (shift, scale), final.linear, unpatchify. Text tokens are dropped.
    /// </summary>
    public static float[] Final(StepContext ctx, int k, ReadOnlySpan<float> residual)
    {
        var cfg = ctx.Config;
        var p = ctx.Parameters;
        int d = cfg.Width, lt = cfg.TextTokensPerSegment, chunk = ctx.Layout.ChunkLength(k);
        int ownFrames = ctx.Layout.OwnFrames(k), tokens = ownFrames * cfg.TokensPerFrame, features = cfg.PatchFeatures;
        int frameSize = cfg.LatentFrameFloats;
        var normed = new float[tokens * d];
        var h = new float[tokens * d];
        var patches = new float[tokens * features];
        var output = new float[ctx.Batch * ownFrames * frameSize];
        for (int b = 0; b < ctx.Batch; b++)
        {
            ReadOnlySpan<float> video = residual.Slice((b * chunk + lt) * d, tokens * d);
            TttCluster.Tensors.LayerNormKernel.Forward(video, normed, tokens, d, p.FinalNormWeight, p.FinalNormBias, cfg.LayerNormEps);
            Modulation.Apply(normed, h, tokens, d, default, default, cfg.LayerNormEps, ctx.FinalShift, ctx.FinalScale);
            Linear.Forward(p.FinalLinear, h, tokens, patches);
            Unpatchify(cfg, patches, ownFrames, output.AsSpan(b * ownFrames * frameSize, ownFrames * frameSize));
        }
        return output;
    }

    /// <summary>Inverse of <see cref="Patchify"/>: feature (c, py, px) of patch (i, j) → latent[f, c, i·p + py, j·p + px].</summary>
    public static void Unpatchify(ModelConfig cfg, ReadOnlySpan<float> patches, int frames, Span<float> latent)
    {
        int c = cfg.LatentChannels, hgt = cfg.LatentHeight, wid = cfg.LatentWidth, pt = cfg.Patch;
        int features = cfg.PatchFeatures, perFrame = cfg.TokensPerFrame, frameSize = cfg.LatentFrameFloats;
        for (int f = 0; f < frames; f++)
            for (int i = 0; i < cfg.PatchRows; i++)
                for (int j = 0; j < cfg.PatchCols; j++)
                {
                    int src = ((f * perFrame) + i * cfg.PatchCols + j) * features;
                    for (int ch = 0; ch < c; ch++)
                        for (int py = 0; py < pt; py++)
                            for (int px = 0; px < pt; px++)
                                latent[f * frameSize + (ch * hgt + i * pt + py) * wid + j * pt + px] = patches[src++];
                }
    }
}
