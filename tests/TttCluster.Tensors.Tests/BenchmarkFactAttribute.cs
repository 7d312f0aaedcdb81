namespace TttCluster.Tensors.Tests;

/// <summary>A fact that measures speed: skipped unless TTT_BENCH=1, so ordinary test runs stay fast and quiet.</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("TTT_BENCH") != "1")
            Skip = "benchmark: run with TTT_BENCH=1 (and --logger \"console;verbosity=detailed\" to see the figures)";
    }
}
