using TttCluster.Model;
using TttCluster.Model.Ttt;
using TttCluster.Tensors;

namespace TttCluster.Benchmarks;

/// <summary>The two sequence mixers on their own: the TTT scan (one direction) and memory-efficient local attention.</summary>
public static class ScanAndAttentionBenchmarks
{
    public static void Scans(BenchmarkResults r, bool quick)
    {
        var tiny = ModelConfig.Tiny();
        var big = ModelConfig.CogVideoX5B();
        double minSeconds = quick ? 0.3 : 1.0;
        Scan(r, "tiny", tiny, new SequenceLayout(tiny, 20).TotalTokens, batch: 2, minSeconds);
        Scan(r, "cogvideox5b", big, quick ? 1024 : 8192, batch: 1, minSeconds);
    }

    public static void Attentions(BenchmarkResults r, bool quick)
    {
        var tiny = ModelConfig.Tiny();
        var big = ModelConfig.CogVideoX5B();
        double minSeconds = quick ? 0.3 : 1.0;
        Attend(r, "tiny", new SequenceLayout(tiny, 1).WindowLength, tiny.Heads, tiny.Heads, tiny.HeadDim, minSeconds);
        Attend(r, "cogvideox5b", new SequenceLayout(big, 1).WindowLength, big.Heads, quick ? 1 : 8, big.HeadDim, minSeconds, minRuns: quick ? 1 : 3);
    }

    private static void Scan(BenchmarkResults r, string name, ModelConfig c, int tokens, int batch, double minSeconds)
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
        }, 3, minSeconds);
        double gflops = FlopCounter.TttScan(tokens * batch, h, d) / seconds / 1e9;
        r.Add($"ttt_scan_{name}_tokens_per_s", tokens * batch / seconds, "tokens/s",
            $"{h} heads × {d}, b = {c.MiniBatch}, {tokens} tokens × {batch} streams");
        r.AddPercentOfBaseline($"ttt_scan_{name}_pct_of_baseline", gflops);
    }

    /// <summary>Measures <paramref name="measuredHeads"/> heads of a window and reports per-token throughput for all heads
    /// (heads are independent, so time scales linearly with them).</summary>
    private static void Attend(BenchmarkResults r, string name, int window, int heads, int measuredHeads, int d, double minSeconds, int minRuns = 3)
    {
        var rng = new GaussianRandom(3);
        int width = measuredHeads * d;
        float[] R() { var x = new float[window * width]; rng.Fill(x, 1f); return x; }
        float[] q = R(), k = R(), v = R(), o = new float[window * width];
        double seconds = Stopwatches.MedianSeconds(() => Attention.Forward(q, k, v, o, window, measuredHeads, d, 1f / MathF.Sqrt(d)), minRuns, minSeconds);
        double secondsAllHeads = seconds * heads / measuredHeads;
        double gflops = 4.0 * window * window * d * heads / secondsAllHeads / 1e9;
        r.Add($"attention_{name}_tokens_per_s", window / secondsAllHeads, "tokens/s",
            $"window {window} tokens, {heads} heads × {d} (measured {measuredHeads})");
        r.AddPercentOfBaseline($"attention_{name}_pct_of_baseline", gflops);
    }
}
