using TttCluster.Model;
using TttCluster.Model.Parameters;
using TttCluster.Model.Plan;
using TttCluster.Model.Sampling;
using TttCluster.Model.Ttt;

namespace TttCluster.Benchmarks;

public static class StepBenchmarks
{
    /// <summary>
    /// One denoising step (cond + uncond, all layers, sampler update) of a Tiny one-minute story: 20 segments, 1,784 tokens
    /// a stream. Also its peak live memory, sampled with full collections at every phase boundary.
    /// </summary>
    public static void TinyStep(BenchmarkResults r, bool quick)
    {
        var cfg = ModelConfig.Tiny();
        var p = ParameterInitializer.Initialize(cfg, 1);
        var layout = new SequenceLayout(cfg, 20);
        var rng = new GaussianRandom(4);
        var latent = new float[layout.Frames * cfg.LatentFrameFloats];
        var cond = new float[layout.Segments * cfg.TextFloatsPerSegment];
        var uncond = new float[cond.Length];
        rng.Fill(latent, 1f); rng.Fill(cond, 1f); rng.Fill(uncond, 1f);
        var schedule = new NoiseSchedule(20);
        var executor = new LocalExecutor(ScanSplit.PerSegmentSerialized);

        void Step()
        {
            var ctx = new StepContext(p, layout, 2, schedule.Timesteps[5]);
            float[][] f = executor.Forward(ctx, latent, [cond, uncond]);
            var x = (float[])latent.Clone();
            DdimSampler.Step(schedule, 5, 4.0, x, f[0], f[1]);
        }
        double seconds = Stopwatches.MedianSeconds(Step, quick ? 3 : 5, quick ? 0.5 : 3.0);
        double gflops = FlopCounter.Forward(layout, 2) / seconds / 1e9;
        r.Add("tiny_60s_step_seconds", seconds, "s", $"{layout.Segments} segments, {layout.TotalTokens} tokens × 2 streams, {cfg.Layers} layers");
        r.Add("tiny_60s_step_model_gflops", gflops, "GFLOP/s", $"{FlopCounter.Forward(layout, 2) / 1e9:N2} GFLOP a step");
        r.AddPercentOfBaseline("tiny_60s_step_pct_of_baseline", gflops);

        // Peak memory: live bytes at every phase boundary, against 2 × weights + one layer's activations for all segments.
        long weightsBytes = ParameterInventory.CountParameters(cfg) * 4;
        long before = GC.GetTotalMemory(true);
        long peak = before;
        var probe = new LocalExecutor(ScanSplit.PerSegmentSerialized) { Progress = (_, _, _) => peak = Math.Max(peak, GC.GetTotalMemory(true)) };
        probe.Forward(new StepContext(p, layout, 2, schedule.Timesteps[5]), latent, [cond, uncond]);
        long stepBytes = peak - before + weightsBytes;   // 'before' already holds the weights once; count them once
        long layerActivations = 2L * layout.TotalTokens * LocalExecutor.ActivationFloatsPerToken(cfg) * 4;
        double bound = 2.0 * weightsBytes + layerActivations;
        r.Add("tiny_60s_step_peak_live_mib", stepBytes / 1048576.0, "MiB",
            $"weights {weightsBytes / 1048576.0:N2} MiB, one layer's activations for all segments {layerActivations / 1048576.0:N2} MiB");
        r.Add("tiny_60s_step_peak_memory_pct_of_bound", 100 * stepBytes / bound, "%", "(bound: 2 × weights + one layer's activations)");
    }

    /// <summary>
    /// One CogVideoX5B-shaped block over two segments (hidden 3072, 48 heads, ~17.5k tokens each): the TTT part, both
    /// directions, against local attention. Quick mode, a smoke run, keeps the head size but uses 8 heads (width 512)
    /// and 2 latent frames per segment instead of 12, so it stays well under a gigabyte.
    /// </summary>
    public static void CogVideoLayer(BenchmarkResults r, bool quick)
    {
        var full = ModelConfig.CogVideoX5B();
        var cfg = quick
            ? full with { Layers = 1, FramesPerSegment = 2, Heads = 8, Width = 8 * full.HeadDim, MlpHidden = 4 * 8 * full.HeadDim }
            : full with { Layers = 1 };
        var p = ParameterInitializer.Initialize(cfg, 5);
        var layout = new SequenceLayout(cfg, 2);
        var ctx = new StepContext(p, layout, 1, 500);
        var rng = new GaussianRandom(6);
        var residual = Enumerable.Range(0, 2).Select(k => { var x = new float[layout.ChunkLength(k) * cfg.Width]; rng.Fill(x, 1f); return x; }).ToArray();

        var attnOut = residual.Select(x => new float[x.Length]).ToArray();
        var haloOut = new float[cfg.TokensPerFrame * cfg.Width];
        double attention = Stopwatches.OnceSeconds(() =>
        {
            SegmentAttention.Attend(ctx, 0, 0, residual[0], [], attnOut[0], []);
            SegmentAttention.Attend(ctx, 0, 1, residual[1], SegmentAttention.LastFrame(ctx, 0, residual[0]), attnOut[1], haloOut);
            SegmentAttention.AverageSharedFrame(ctx, 0, attnOut[0], haloOut);
        });

        var executor = new LocalExecutor(ScanSplit.PerSegmentSerialized);
        double projections = 0, scans = 0;
        float[][] x = attnOut;
        foreach (var direction in new[] { ScanDirection.Forward, ScanDirection.Backward })
        {
            TttInputs?[] inputs = null!;
            projections += Stopwatches.OnceSeconds(() => inputs = [SegmentTtt.Prepare(ctx, 0, 0, x[0], direction.Reverse), SegmentTtt.Prepare(ctx, 0, 1, x[1], direction.Reverse)]);
            ScanOutputBuffer buffer = null!;
            scans += Stopwatches.OnceSeconds(() => buffer = executor.RunScan(ctx, 0, direction, inputs));
            float[][] next = new float[2][];
            var input = x;
            projections += Stopwatches.OnceSeconds(() =>
            {
                for (int k = 0; k < 2; k++) next[k] = SegmentTtt.Finish(ctx, 0, k, input[k], buffer.Gather(layout, k, direction), direction.Reverse);
            });
            x = next;
        }
        double ttt = projections + scans;
        string shape = $"2 segments, {layout.TotalTokens} tokens, window {layout.WindowLength}, {cfg.Heads} heads × {cfg.HeadDim}";
        r.Add("cogvideox5b_layer_attention_seconds", attention, "s", shape);
        r.Add("cogvideox5b_layer_ttt_seconds", ttt, "s", $"projections/norms {projections:N2} s + scans {scans:N2} s, both directions");
        r.Add("cogvideox5b_layer_ttt_over_attention", ttt / attention, "x", "(paper, whole model on H100: TTT-MLP 2.5x local attention)");
    }
}
