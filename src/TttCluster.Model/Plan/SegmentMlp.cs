using System.Numerics.Tensors;
using TttCluster.Model.Layers;
using TttCluster.Tensors;

namespace TttCluster.Model.Plan;

/// <summary>Phase 4 of a block for one segment: the adaLN-gated residual of Z′, then the gated MLP residual.</summary>
public static class SegmentMlp
{
    public static void Apply(StepContext ctx, int layer, int k, Span<float> residual, ReadOnlySpan<float> zPrime)
    {
        var cfg = ctx.Config;
        var block = ctx.Parameters.Blocks[layer];
        var (attnMod, mlpMod) = ctx.BlockModulation[layer];
        int d = cfg.Width, lt = cfg.TextTokensPerSegment, chunk = ctx.Layout.ChunkLength(k), video = chunk - lt;
        var h = new float[chunk * d];
        var hidden = new float[chunk * cfg.MlpHidden];
        var m = new float[chunk * d];
        for (int b = 0; b < ctx.Batch; b++)
        {
            Span<float> x = residual.Slice(b * chunk * d, chunk * d);
            ReadOnlySpan<float> zb = zPrime.Slice(b * chunk * d, chunk * d);
            AddGated(x, zb, chunk, lt, d, attnMod.GateText, attnMod.GateVideo);

            Modulation.Apply(x[..(lt * d)], h.AsSpan(0, lt * d), lt, d, block.Norm2Weight, block.Norm2Bias, cfg.LayerNormEps, mlpMod.ShiftText, mlpMod.ScaleText);
            Modulation.Apply(x[(lt * d)..], h.AsSpan(lt * d), video, d, block.Norm2Weight, block.Norm2Bias, cfg.LayerNormEps, mlpMod.ShiftVideo, mlpMod.ScaleVideo);
            Linear.Forward(block.Fc1, h, chunk, hidden);
            Activations.Gelu(hidden, hidden);
            Linear.Forward(block.Fc2, hidden, chunk, m);
            AddGated(x, m, chunk, lt, d, mlpMod.GateText, mlpMod.GateVideo);
        }
    }

    /// <summary>x += gate ⊙ y row by row, the text gate on the first <paramref name="textRows"/> rows and the video gate after.</summary>
    private static void AddGated(Span<float> x, ReadOnlySpan<float> y, int rows, int textRows, int d, float[] gateText, float[] gateVideo)
    {
        for (int r = 0; r < rows; r++)
        {
            Span<float> xr = x.Slice(r * d, d);
            TensorPrimitives.FusedMultiplyAdd(y.Slice(r * d, d), r < textRows ? gateText : gateVideo, xr, xr);
        }
    }
}
