using TttCluster.Model;
using TttCluster.Tensors;

namespace TttCluster.Benchmarks;

public static class GemmBenchmarks
{
    /// <summary>GFLOP/s of y = x·Wᵀ with x [m, k] and W [n, k], the form of every Linear layer in the model.</summary>
    public static double Throughput(int m, int n, int k, bool transB, int minRuns = 3, double minSeconds = 1.0)
    {
        var rng = new GaussianRandom(1);
        var a = new float[m * k];
        var b = new float[n * k];
        var c = new float[m * n];
        rng.Fill(a, 1f);
        rng.Fill(b, 1f);
        double seconds = Stopwatches.MedianSeconds(() => Gemm.Sgemm(false, transB, m, n, k, 1f, a, k, b, transB ? k : n, 0f, c, n), minRuns, minSeconds);
        return 2.0 * m * n * k / seconds / 1e9;
    }

    private static double SingleThreadManaged(int m, int n, int k, double minSeconds)
    {
        var rng = new GaussianRandom(1);
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        rng.Fill(a, 1f);
        rng.Fill(b, 1f);
        const int calls = 2000;
        double seconds = Stopwatches.MedianSeconds(() =>
        {
            for (int i = 0; i < calls; i++) Gemm.SgemmManaged(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        }, 3, minSeconds);
        return 2.0 * m * n * k * calls / seconds / 1e9;
    }

    /// <summary>The Linear layers of CogVideoX5B (one 3-second window of tokens) and of Tiny (one segment, 2 streams).</summary>
    public static void ModelShapes(BenchmarkResults r, bool quick)
    {
        var big = ModelConfig.CogVideoX5B();
        int rows = quick ? 512 : new SequenceLayout(big, 1).WindowLength;
        double minSeconds = quick ? 0.2 : 1.0;
        int d = big.Width;
        var shapes = new (string Name, int M, int N, int K)[]
        {
            ("cogvideox5b_qkvo", rows, d, d),
            ("cogvideox5b_mlp_fc1", rows, big.MlpHidden, d),
            ("cogvideox5b_mlp_fc2", rows, d, big.MlpHidden),
        };
        double flops = 0, seconds = 0;
        foreach (var (name, m, n, k) in shapes)
        {
            double g = Throughput(m, n, k, transB: true, minSeconds: minSeconds);
            r.AddPercentOfBaseline($"gemm_{name}_{m}x{n}x{k}_pct_of_baseline", g);
            double f = 2.0 * m * n * k * (name.EndsWith("qkvo") ? 4 : 1);
            flops += f;
            seconds += f / (g * 1e9);
        }
        r.AddPercentOfBaseline("gemm_cogvideox5b_block_linears_pct_of_baseline", flops / seconds / 1e9, "(FLOP-weighted: 4 projections + MLP)");

        // The TTT scan's products, on the managed kernel on one thread (the scan runs one head per core).
        foreach (var c in new[] { ModelConfig.Tiny(), big })
        {
            int b = c.MiniBatch, hd = c.HeadDim, hid = 4 * hd;
            double g = SingleThreadManaged(b, hid, hd, minSeconds / 2);
            r.AddPercentOfBaseline($"gemm_scan_{b}x{hid}x{hd}_managed_1thread_pct_of_baseline", g,
                $"on one core (K·W1 of a mini-batch; the baseline uses {Environment.ProcessorCount})");
        }

        var tiny = ModelConfig.Tiny();
        int tinyRows = 2 * new SequenceLayout(tiny, 2).ChunkLength(1);
        double tg = Throughput(tinyRows, tiny.Width, tiny.Width, transB: true, 50, minSeconds);
        r.AddPercentOfBaseline($"gemm_tiny_{tinyRows}x{tiny.Width}x{tiny.Width}_pct_of_baseline", tg, "(too small to fill the cores)");
    }
}
