using TttCluster.Model;
using TttCluster.Tensors;

namespace TttCluster.Benchmarks;

public static class GemmBenchmarks
{
    /// <summary>The baseline: C = A·B at 2048³ through the GEMM backend, all cores.</summary>
    public static double SgemmBaseline(BenchmarkResults r)
    {
        const int n = 2048;
        double gflops = Throughput(n, n, n, false, 5);
        r.Add("sgemm_2048_gflops", gflops, "GFLOP/s", "(baseline)");
        return gflops;
    }

    /// <summary>GFLOP/s of y = x·Wᵀ with x [m, k] and W [n, k], the form of every Linear layer in the model.</summary>
    public static double Throughput(int m, int n, int k, bool transB, int minRuns = 3)
    {
        var rng = new GaussianRandom(1);
        var a = new float[m * k];
        var b = new float[n * k];
        var c = new float[m * n];
        rng.Fill(a, 1f);
        rng.Fill(b, 1f);
        double seconds = Stopwatches.MedianSeconds(() => Gemm.Sgemm(false, transB, m, n, k, 1f, a, k, b, transB ? k : n, 0f, c, n), minRuns, 1.0);
        return 2.0 * m * n * k / seconds / 1e9;
    }

    private static double SingleThreadManaged(int m, int n, int k)
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
        }, 3, 0.5);
        return 2.0 * m * n * k * calls / seconds / 1e9;
    }

    /// <summary>The Linear layers of CogVideoX5B (one 3-second window of tokens) and of Tiny (one segment, 2 streams).</summary>
    public static void ModelShapes(BenchmarkResults r, double baseline, bool quick)
    {
        var big = ModelConfig.CogVideoX5B();
        int rows = quick ? 2048 : new SequenceLayout(big, 1).WindowLength;
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
            double g = Throughput(m, n, k, transB: true);
            r.Add($"gemm_{name}_{m}x{n}x{k}_pct_of_baseline", 100 * g / baseline, "%", $"{g:N1} GFLOP/s");
            double f = 2.0 * m * n * k * (name.EndsWith("qkvo") ? 4 : 1);
            flops += f;
            seconds += f / (g * 1e9);
        }
        r.Add("gemm_cogvideox5b_block_linears_pct_of_baseline", 100 * flops / seconds / 1e9 / baseline, "%", "(FLOP-weighted: 4 projections + MLP)");

        // The TTT scan's products, on the managed kernel on one thread (the scan runs one head per core).
        foreach (var c in new[] { ModelConfig.Tiny(), big })
        {
            int b = c.MiniBatch, hd = c.HeadDim, hid = 4 * hd;
            double g = SingleThreadManaged(b, hid, hd);
            r.Add($"gemm_scan_{b}x{hid}x{hd}_managed_1thread_pct_of_baseline", 100 * g / baseline, "%",
                $"{g:N1} GFLOP/s on one core (K·W1 of a mini-batch; the baseline uses two)");
        }

        var tiny = ModelConfig.Tiny();
        int tinyRows = 2 * new SequenceLayout(tiny, 2).ChunkLength(1);
        double tg = Throughput(tinyRows, tiny.Width, tiny.Width, transB: true, 50);
        r.Add($"gemm_tiny_{tinyRows}x{tiny.Width}x{tiny.Width}_pct_of_baseline", 100 * tg / baseline, "%", $"{tg:N1} GFLOP/s (too small to fill the cores)");
    }
}
