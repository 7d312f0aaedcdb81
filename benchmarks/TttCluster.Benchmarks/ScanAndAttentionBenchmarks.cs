using TttCluster.Model;
using TttCluster.Model.Ttt;
using TttCluster.Tensors;

namespace TttCluster.Benchmarks;

/// <summary>The two sequence mixers on their own: the TTT scan (one direction) and memory-efficient local attention.</summary>
public static class ScanAndAttentionBenchmarks
{
    public static void Scans(BenchmarkResults r, double baseline, bool quick)
    {
        var tiny = ModelConfig.Tiny();
        var big = ModelConfig.CogVideoX5B();
        Scan(r, baseline, "tiny", tiny, new SequenceLayout(tiny, 20).TotalTokens, batch: 2);
        Scan(r, baseline, "cogvideox5b", big, quick ? 2048 : 8192, batch: 1);
    }

    public static void Attentions(BenchmarkResults r, double baseline, bool quick)
    {
        var tiny = ModelConfig.Tiny();
        var big = ModelConfig.CogVideoX5B();
        Attend(r, baseline, "tiny", new SequenceLayout(tiny, 1).WindowLength, tiny.Heads, tiny.Heads, tiny.HeadDim);
        Attend(r, baseline, "cogvideox5b", new SequenceLayout(big, 1).WindowLength, big.Heads, quick ? 2 : 8, big.HeadDim);
    }

    private static void Scan(BenchmarkResults r, double baseline, string name, ModelConfig c, int tokens, int batch)
    {
        var rng = new GaussianRandom(2);
        float[] R(int n, float std) { var x = new float[n]; rng.Fill(x, std); return x; }
        int h = c.Heads, d = c.HeadDim, hid = 4 * d;
        var inputs = new TttInputs(batch, h, d, tokens, R(batch * h * tokens * d, 0.25f), R(batch * h * tokens * d, 0.25f),
            R(batch * h * tokens * d, 1f), Enumerable.Repeat(1e-3f, batch * h * tokens).ToArray());
        float[] w1 = R(h * d * hid, 0.02f), b1 = new float[h * hid], w2 = R(h * hid * d, 0.02f), b2 = new float[h * d];
        float[] gamma = Enumerable.Repeat(1f, h * d).ToArray(), beta = new float[h * d];
        double seconds = Stopwatches.MedianSeconds(() =>
        {
            var state = ScanState.Initial(batch, h, d, w1, b1, w2, b2);
            TttScanner.Scan(state, inputs, 0, true, c.MiniBatch, gamma, beta, c.LayerNormEps);
        }, 3, 1.0);
        double gflops = FlopCounter.TttScan(tokens * batch, h, d) / seconds / 1e9;
        r.Add($"ttt_scan_{name}_tokens_per_s", tokens * batch / seconds, "tokens/s",
            $"{h} heads × {d}, b = {c.MiniBatch}, {tokens} tokens × {batch} streams; {gflops:N1} GFLOP/s = {100 * gflops / baseline:N1}% of baseline");
        r.Add($"ttt_scan_{name}_pct_of_baseline", 100 * gflops / baseline, "%");
    }

    /// <summary>Measures <paramref name="measuredHeads"/> heads of a window and reports per-token throughput for all heads
    /// (heads are independent, so time scales linearly with them).</summary>
    private static void Attend(BenchmarkResults r, double baseline, string name, int window, int heads, int measuredHeads, int d)
    {
        var rng = new GaussianRandom(3);
        int width = measuredHeads * d;
        float[] R() { var x = new float[window * width]; rng.Fill(x, 1f); return x; }
        float[] q = R(), k = R(), v = R(), o = new float[window * width];
        double seconds = Stopwatches.MedianSeconds(() => Attention.Forward(q, k, v, o, window, measuredHeads, d, 1f / MathF.Sqrt(d)), 3, 1.0);
        double secondsAllHeads = seconds * heads / measuredHeads;
        double gflops = 4.0 * window * window * d * heads / secondsAllHeads / 1e9;
        r.Add($"attention_{name}_tokens_per_s", window / secondsAllHeads, "tokens/s",
            $"window {window} tokens, {heads} heads × {d} (measured {measuredHeads}); {gflops:N1} GFLOP/s = {100 * gflops / baseline:N1}% of baseline");
        r.Add($"attention_{name}_pct_of_baseline", 100 * gflops / baseline, "%");
    }
}
