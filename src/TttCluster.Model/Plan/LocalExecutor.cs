using TttCluster.Model.Ttt;

namespace TttCluster.Model.Plan;

/// <summary>How the local executor runs the serial scans.</summary>
public enum ScanSplit
{
    /// <summary>One scan call over the whole sequence per direction: the state never leaves memory.</summary>
    WholeSequence,
    /// <summary>One scan call per segment, the state serialised to bytes and back at every boundary, as between silos.</summary>
    PerSegmentSerialized,
}

/// <summary>
/// Runs the model over a whole story in one process, phase by phase as a cluster would (ARCHITECTURE.md, one step):
/// 1. per segment: adaLN, local attention (with the halo frame), TTT inputs; 2. forward scan, segment by segment;
/// 3. reverse scan; 4. per segment: gates, MLP. Each phase calls the same functions a silo calls.
/// </summary>
public sealed class LocalExecutor(ScanSplit split = ScanSplit.PerSegmentSerialized)
{
    /// <summary>Optional observer of phase progress: (layer, phase name, segment). Segments of a parallel phase report
    /// from several threads at once.</summary>
    public Action<int, string, int>? Progress { get; init; }

    /// <summary>Checked between phases (never inside a parallel loop), so a cancelled step stops within one phase.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>The v-prediction F for every stream, [B][T, C, H, W].</summary>
    public float[][] Forward(StepContext ctx, ReadOnlySpan<float> latent, IReadOnlyList<float[]> text)
    {
        var layout = ctx.Layout;
        int n = layout.Segments;
        var residual = new float[n][];
        for (int k = 0; k < n; k++) residual[k] = SegmentEdges.Embed(ctx, k, latent, text);

        for (int layer = 0; layer < ctx.Config.Layers; layer++)
            RunBlock(ctx, layer, residual);

        int frameSize = ctx.Config.LatentFrameFloats;
        var output = Enumerable.Range(0, ctx.Batch).Select(_ => new float[layout.Frames * frameSize]).ToArray();
        for (int k = 0; k < n; k++)
        {
            float[] f = SegmentEdges.Final(ctx, k, residual[k]);
            int frames = layout.OwnFrames(k);
            for (int b = 0; b < ctx.Batch; b++)
                f.AsSpan(b * frames * frameSize, frames * frameSize).CopyTo(output[b].AsSpan(layout.FirstOwnFrame(k) * frameSize));
        }
        return output;
    }

    /// <summary>
    /// Floats per token that one block keeps alive at its peak (the forward scan): the residual stream entering it, X′,
    /// the scan inputs Q, K, Tg (3D) and η (H) of one direction, and the scan output. Z replaces X′ and the reverse
    /// inputs replace the forward ones, so the peak never holds both.
    /// </summary>
    public static int ActivationFloatsPerToken(ModelConfig config) => 7 * config.Width + config.Heads;

    /// <summary>One transformer block over all segments; <paramref name="residual"/> is updated in place.
    /// Every per-segment array is dropped right after its last use, so peak memory is one layer's activations.</summary>
    public void RunBlock(StepContext ctx, int layer, float[][] residual)
    {
        var layout = ctx.Layout;
        int n = layout.Segments, batch = ctx.Batch, d = ctx.Config.Width, p = ctx.Config.TokensPerFrame;

        // Phase 1: attention per window, segments in parallel; the halo frame goes in, its output comes back to the
        // previous segment, which averages it into its last frame.
        var attnOut = new float[n][];
        var haloOut = new float[n][];
        Parallel.For(0, n, k =>
        {
            attnOut[k] = new float[residual[k].Length];
            haloOut[k] = k > 0 ? new float[batch * p * d] : [];
            float[] halo = k > 0 ? SegmentAttention.LastFrame(ctx, k - 1, residual[k - 1]) : [];
            SegmentAttention.Attend(ctx, layer, k, residual[k], halo, attnOut[k], haloOut[k]);
            Progress?.Invoke(layer, "attention", k);
        });
        for (int k = 1; k < n; k++) SegmentAttention.AverageSharedFrame(ctx, k - 1, attnOut[k - 1], haloOut[k]);

        Cancellation.ThrowIfCancellationRequested();
        // Phase 2: forward scan; Z replaces X' segment by segment.
        var inputs = new TttInputs?[n];
        Parallel.For(0, n, k => inputs[k] = SegmentTtt.Prepare(ctx, layer, k, attnOut[k], reverse: false));
        var scanned = RunScan(ctx, layer, ScanDirection.Forward, inputs);
        var z = new float[n][];
        Parallel.For(0, n, k =>
        {
            z[k] = SegmentTtt.Finish(ctx, layer, k, attnOut[k], scanned.Gather(layout, k, ScanDirection.Forward), reverse: false);
            attnOut[k] = null!;
        });

        Cancellation.ThrowIfCancellationRequested();
        // Phase 3: reverse scan over Z.
        Parallel.For(0, n, k => inputs[k] = SegmentTtt.Prepare(ctx, layer, k, z[k], reverse: true));
        scanned = RunScan(ctx, layer, ScanDirection.Backward, inputs);

        Cancellation.ThrowIfCancellationRequested();
        // Phase 4: gates, MLP.
        Parallel.For(0, n, k =>
        {
            float[] zPrime = SegmentTtt.Finish(ctx, layer, k, z[k], scanned.Gather(layout, k, ScanDirection.Backward), reverse: true);
            z[k] = null!;
            SegmentMlp.Apply(ctx, layer, k, residual[k], zPrime);
            Progress?.Invoke(layer, "mlp", k);
        });
    }

    /// <summary>
    /// Runs one direction of a layer's scan over every segment (phase 2 or 3); each segment's inputs are released as soon
    /// as the scan has consumed them. Public so benchmarks time exactly what a step runs.
    /// </summary>
    public ScanOutputBuffer RunScan(StepContext ctx, int layer, ScanDirection direction, TttInputs?[] inputs)
    {
        var cfg = ctx.Config;
        var block = ctx.Parameters.Blocks[layer];
        var layout = ctx.Layout;
        var buffer = new ScanOutputBuffer(ctx.Batch, cfg.Heads, cfg.HeadDim, layout.TotalTokens);
        var state = ScanState.Initial(ctx.Batch, cfg.Heads, cfg.HeadDim, block.W1, block.B1, block.W2, block.B2);
        if (split == ScanSplit.WholeSequence)
        {
            TttInputs all = Concatenate(direction.SegmentOrder(layout).Select(k => inputs[k]!).ToArray());
            Array.Clear(inputs);
            buffer.Store(TttScanner.Scan(state, all, 0, isLast: true, cfg.MiniBatch, block.TttLnWeight, block.TttLnBias, cfg.LayerNormEps));
            return buffer;
        }
        foreach (int k in direction.SegmentOrder(layout))
        {
            Cancellation.ThrowIfCancellationRequested();
            state = ScanState.FromBytes(state.ToBytes());   // what crosses a silo boundary is exactly these bytes
            var result = TttScanner.Scan(state, inputs[k]!, direction.RunStart(layout, k), direction.IsLastRun(layout, k),
                cfg.MiniBatch, block.TttLnWeight, block.TttLnBias, cfg.LayerNormEps);
            inputs[k] = null;
            buffer.Store(result);
            Progress?.Invoke(layer, direction.Reverse ? "reverse scan" : "forward scan", k);
        }
        return buffer;
    }

    /// <summary>Joins runs (already in direction order) into one run.</summary>
    public static TttInputs Concatenate(IReadOnlyList<TttInputs> runs)
    {
        var first = runs[0];
        int rows = runs.Sum(r => r.Rows), d = first.HeadDim;
        var all = new TttInputs(first.Batch, first.Heads, d, rows);
        for (int b = 0; b < first.Batch; b++)
            for (int h = 0; h < first.Heads; h++)
            {
                int row = 0;
                foreach (var run in runs)
                {
                    run.Q.AsSpan(run.VectorOffset(b, h, 0), run.Rows * d).CopyTo(all.Q.AsSpan(all.VectorOffset(b, h, row)));
                    run.K.AsSpan(run.VectorOffset(b, h, 0), run.Rows * d).CopyTo(all.K.AsSpan(all.VectorOffset(b, h, row)));
                    run.Target.AsSpan(run.VectorOffset(b, h, 0), run.Rows * d).CopyTo(all.Target.AsSpan(all.VectorOffset(b, h, row)));
                    run.Eta.AsSpan(run.EtaOffset(b, h, 0), run.Rows).CopyTo(all.Eta.AsSpan(all.EtaOffset(b, h, row)));
                    row += run.Rows;
                }
            }
        return all;
    }
}
