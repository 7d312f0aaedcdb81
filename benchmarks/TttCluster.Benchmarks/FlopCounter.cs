using TttCluster.Model;

namespace TttCluster.Benchmarks;

/// <summary>
/// Model FLOPs (a multiply-add counts 2) of the matrix work of a forward pass; element-wise work is left out, as is
/// usual for model-FLOP figures. Used to express a step's speed as a fraction of the machine's sgemm throughput.
/// </summary>
public static class FlopCounter
{
    /// <summary>Attention part of one block for one stream: q, k, v, o projections and softmax(QKᵀ)V over every window.</summary>
    public static double Attention(SequenceLayout layout)
    {
        var c = layout.Config;
        double w = layout.WindowLength, d = c.Width;
        return layout.Segments * (4 * 2 * w * d * d + 4 * w * w * d);
    }

    /// <summary>TTT part of one block for one stream, both directions: q, k, v, lr gate, o projections and the scan.</summary>
    public static double Ttt(SequenceLayout layout)
    {
        var c = layout.Config;
        double l = layout.TotalTokens, d = c.Width;
        double projections = 4 * 2 * l * d * d + 2 * l * d * c.Heads;
        double scan = TttScan(l, c.Heads, c.HeadDim);
        return 2 * (projections + scan);
    }

    /// <summary>The scan alone: per token and head, 7 products of size d × 4d (forward at the old state, two gradients, two updates, output).</summary>
    public static double TttScan(double tokens, int heads, int headDim) => 14.0 * tokens * headDim * 4 * headDim * heads;

    public static double Mlp(SequenceLayout layout) => 2 * 2.0 * layout.TotalTokens * layout.Config.Width * layout.Config.MlpHidden;

    /// <summary>One forward pass of the whole model for <paramref name="streams"/> streams (2 with CFG).</summary>
    public static double Forward(SequenceLayout layout, int streams)
    {
        var c = layout.Config;
        double blocks = c.Layers * (Attention(layout) + Ttt(layout) + Mlp(layout));
        double edges = 2.0 * layout.VideoTokens * c.Width * c.PatchFeatures * 2 + 2.0 * layout.TextTokens * c.TextDim * c.Width;
        return streams * (blocks + edges);
    }
}
