using System.Diagnostics;
using TttCluster.Tensors.Kernels;
using TttCluster.Tensors.Native;
using Xunit.Abstractions;

namespace TttCluster.Tensors.Tests;

/// <summary>
/// Throughput of the kernels at the sizes that matter, printed rather than asserted (timings depend on the
/// machine and its load). Each figure is the best of several rounds. Run:
/// TTT_BENCH=1 dotnet test tests/TttCluster.Tensors.Tests --filter KernelBenchmarkTests --logger "console;verbosity=detailed"
/// </summary>
public class KernelBenchmarkTests(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void Gemm_LargeSquareThroughput()
    {
        const int n = 2048;
        float[] a = TestMatrices.Random(n * n, 1), b = TestMatrices.Random(n * n, 2), c = new float[n * n];
        if (NativeBlas.Instance is { } blas)
            Report($"OpenBLAS {n}³ ({blas.Description})", 2.0 * n * n * n, 2, () => GemmTests.OpenBlasSgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n));
        Report($"managed {n}³, 1 thread", 2.0 * n * n * n, 2, () => Gemm.SgemmManaged(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n));
        Report($"managed {n}³, {Environment.ProcessorCount} threads", 2.0 * n * n * n, 2,
            () => Gemm.SgemmManagedParallel(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n));
    }

    [BenchmarkFact]
    public void Gemm_TttScanShapesThroughput()
    {
        foreach (var (m, n, k) in new[] { (16, 64, 16), (64, 256, 64), (256, 64, 64), (64, 64, 256), (16, 256, 64), (16, 64, 256) })
            foreach (var (transA, transB) in new[] { (false, false), (true, false), (false, true) })
            {
                var (a, lda, b, ldb, c, ldc) = GemmTests.Operands(transA, transB, m, n, k, seed: 1);
                string shape = $"({m},{n},{k}) {(transA ? "T" : "N")}{(transB ? "T" : "N")}";
                Report($"managed {shape}", 2.0 * m * n * k, 0.3, () => Gemm.SgemmManaged(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc));
                if (NativeBlas.Instance is not null)
                    Report($"OpenBLAS {shape}", 2.0 * m * n * k, 0.3, () => GemmTests.OpenBlasSgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc));
            }
    }

    [BenchmarkFact]
    public void Attention_ModelShapesThroughput()
    {
        foreach (var (seqLen, heads, headDim) in new[] { (112, 4, 16), (18008, 2, 64) })
        {
            int length = seqLen * heads * headDim;
            float[] q = TestMatrices.Random(length, 1), k = TestMatrices.Random(length, 2), v = TestMatrices.Random(length, 3), o = new float[length];
            double flops = 4.0 * seqLen * seqLen * headDim * heads;
            double seconds = Report($"attention seq={seqLen} heads={heads} headDim={headDim}", flops, 2,
                () => Attention.Forward(q, k, v, o, seqLen, heads, headDim, 1f / MathF.Sqrt(headDim)));
            output.WriteLine($"    {seqLen / seconds:F0} tokens/s for these {heads} heads");
        }
    }

    /// <summary>CogVideoX-5B as laid out in the model (48 heads, row stride 3072), timing 2 of the heads.</summary>
    [BenchmarkFact]
    public unsafe void Attention_CogVideoX5BLayoutThroughput()
    {
        const int seqLen = 18008, heads = 48, headDim = 64, measuredHeads = 2, width = heads * headDim;
        float[] q = TestMatrices.Random(seqLen * width, 1), k = TestMatrices.Random(seqLen * width, 2), v = TestMatrices.Random(seqLen * width, 3);
        float[] o = new float[seqLen * width];
        int tiles = (seqLen + FlashAttentionTile.QueryTile - 1) / FlashAttentionTile.QueryTile;
        fixed (float* qPtr = q, kPtr = k, vPtr = v, oPtr = o)
        {
            nint qa = (nint)qPtr, ka = (nint)kPtr, va = (nint)vPtr, oa = (nint)oPtr;
            double seconds = Report($"attention 5B layout, {measuredHeads} of {heads} heads", 4.0 * seqLen * seqLen * headDim * measuredHeads, 2, () =>
                Parallel.For(0, measuredHeads * tiles, task =>
                {
                    int q0 = task % tiles * FlashAttentionTile.QueryTile;
                    FlashAttentionTile.Run((float*)qa, (float*)ka, (float*)va, (float*)oa, seqLen, width, headDim, task / tiles, q0,
                        Math.Min(FlashAttentionTile.QueryTile, seqLen - q0), 0.125f);
                }));
            output.WriteLine($"    all {heads} heads: {seconds * heads / measuredHeads:F1} s per call, {seqLen / (seconds * heads / measuredHeads):F0} tokens/s");
        }
    }

    /// <summary>Runs <paramref name="action"/> for rounds of about seconds/5, prints the best rate, returns the best time per call.</summary>
    private double Report(string name, double flopsPerCall, double seconds, Action action)
    {
        action();
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            int calls = 0;
            var clock = Stopwatch.StartNew();
            do
            {
                action();
                calls++;
            } while (clock.Elapsed.TotalSeconds < seconds / 5);
            best = Math.Min(best, clock.Elapsed.TotalSeconds / calls);
        }
        output.WriteLine($"{name,-58} {1 / best,12:F0} calls/s {flopsPerCall / best / 1e9,8:F1} GFLOP/s");
        return best;
    }
}
