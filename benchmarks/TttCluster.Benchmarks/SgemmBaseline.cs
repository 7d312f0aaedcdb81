using System.Diagnostics;
using TttCluster.Model;
using TttCluster.Tensors;

namespace TttCluster.Benchmarks;

/// <summary>
/// The yardstick every speed is a % of: the machine's fastest sgemm on all cores, at 3072³ (2048³ in quick mode).
/// One measurement taken while something else runs reads low and makes every ratio absurd (a busy run once measured
/// 57 GFLOP/s and printed kernels at 629% of it), so the baseline is sampled again before every group, interleaved with
/// the measured kernels, and the best sample counts. The managed kernel is measured too: where OpenBLAS runs a weaker
/// kernel family than the CPU has (OPENBLAS_CORETYPE=Haswell on an AVX-512 machine), ours is the faster sgemm here.
/// </summary>
public sealed class SgemmBaseline
{
    private readonly int _size;
    private readonly List<double> _backend = [];
    private double _managed;
    // The operands, made on the first measurement (recorded samples need none).
    private float[]? _a, _b, _c;

    public SgemmBaseline(bool quick) => _size = quick ? 2048 : 3072;

    /// <summary>"3072³".</summary>
    public string Shape => $"{_size}³";

    /// <summary>The best sample so far, GFLOP/s.</summary>
    public double Best => Math.Max(_managed, BestBackend);

    private double BestBackend => _backend.Count == 0 ? 0 : _backend.Max();

    /// <summary>How far the backend's samples spread: (best − worst) / best. Large when the machine's load changed.</summary>
    public double Spread => _backend.Count < 2 ? 0 : (_backend.Max() - _backend.Min()) / _backend.Max();

    public int Samples => _backend.Count;

    public double Median => _backend.Count == 0 ? 0 : _backend.Order().ElementAt(_backend.Count / 2);

    /// <summary>True when the best sample came from the managed kernel, not the GEMM backend.</summary>
    public bool ManagedIsBest => _managed > BestBackend;

    /// <summary>Which sgemm the best sample came from.</summary>
    public string BestKernel => ManagedIsBest ? "the managed kernel" : Gemm.BackendDescription;

    /// <summary>One sample of the backend: the best of <paramref name="runs"/> products (the first sample warms up first).</summary>
    public void Sample(int runs = 2)
    {
        if (_backend.Count == 0) Product(managed: false);
        double best = 0;
        for (int i = 0; i < runs; i++) best = Math.Max(best, Product(managed: false));
        AddSample(best);
    }

    /// <summary>Records one sample of the backend, GFLOP/s.</summary>
    internal void AddSample(double gflops) => _backend.Add(gflops);

    /// <summary>Records the managed kernel's throughput, GFLOP/s.</summary>
    internal void SetManaged(double gflops) => _managed = gflops;

    /// <summary>The managed kernel on all cores, once (best of two after a warm-up).</summary>
    public void SampleManaged()
    {
        Product(managed: true);
        SetManaged(Math.Max(Product(managed: true), Product(managed: true)));
    }

    private double Product(bool managed)
    {
        int n = _size;
        if (_a is null || _b is null || _c is null)
        {
            (_a, _b, _c) = (new float[n * n], new float[n * n], new float[n * n]);
            var rng = new GaussianRandom(1);
            rng.Fill(_a, 1f);
            rng.Fill(_b, 1f);
        }
        var clock = Stopwatch.StartNew();
        if (managed) Gemm.SgemmManagedParallel(false, false, n, n, n, 1f, _a, n, _b, n, 0f, _c, n);
        else Gemm.Sgemm(false, false, n, n, n, 1f, _a, n, _b, n, 0f, _c, n);
        return 2.0 * n * n * n / clock.Elapsed.TotalSeconds / 1e9;
    }
}
