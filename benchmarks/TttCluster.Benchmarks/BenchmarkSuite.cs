using System.Text.Json;
using TttCluster.Files;
using TttCluster.Tensors;

namespace TttCluster.Benchmarks;

/// <summary>
/// `ttt bench`: every figure in one run, each speed also given as a % of the sgemm baseline (<see cref="SgemmBaseline"/>),
/// sampled before every group and taken as the best sample, so figures from different machines or load compare fairly.
/// </summary>
public static class BenchmarkSuite
{
    /// <summary>Groups that <c>--only</c> can pick; the sgemm baseline always runs.</summary>
    public static readonly string[] Groups = ["gemm", "scan", "attention", "step", "layer", "render", "cluster", "farm"];

    public static int Run(bool quick, string? jsonPath, TextWriter log, string? only = null)
    {
        if (only is not null && !Groups.Contains(only))
            throw new ArgumentException($"--only: expected one of {string.Join(", ", Groups)}, found '{only}'");
        double? loadBefore = MachineCpu.LoadAverage();
        var baseline = new SgemmBaseline(quick);
        var results = new BenchmarkResults(log, baseline);
        results.Info("gemm_backend", Gemm.BackendDescription);
        results.Info("processor_count", Environment.ProcessorCount.ToString());
        results.Info("mode", quick ? "quick" : "full");
        if (loadBefore is { } load) results.Add("load_average_at_start", load, "", "(1-minute load average before the first measurement)");

        // Three samples to start, the managed kernel once, then one more before every group.
        for (int i = 0; i < 3; i++) baseline.Sample();
        baseline.SampleManaged();
        results.Add("sgemm_baseline_start_gflops", baseline.Best, "GFLOP/s", $"(the baseline so far: best of {baseline.Samples} samples at {baseline.Shape}, {baseline.BestKernel})");

        var groups = new (string Name, Action Run)[]
        {
            ("gemm", () => GemmBenchmarks.ModelShapes(results, quick)),
            ("scan", () => ScanAndAttentionBenchmarks.Scans(results, quick)),
            ("attention", () => ScanAndAttentionBenchmarks.Attentions(results, quick)),
            ("step", () => StepBenchmarks.TinyStep(results, quick)),
            ("layer", () => StepBenchmarks.CogVideoLayer(results, quick)),
            ("render", () => RenderBenchmarks.OneMinuteStory(results, quick)),
            ("cluster", () => ClusterBenchmarks.Run(results, quick).GetAwaiter().GetResult()),
            ("farm", () => FarmBenchmarks.Run(results, quick).GetAwaiter().GetResult()),
        };
        foreach (var (name, run) in groups.Where(g => only is null || only == g.Name))
        {
            baseline.Sample();
            run();
        }
        baseline.Sample();
        results.Finish(loadBefore, MachineCpu.LoadAverage());

        if (jsonPath is not null)
        {
            using var file = PartialFiles.Process.Create(jsonPath);
            file.Write(stream => JsonSerializer.Serialize(stream, results.Figures, new JsonSerializerOptions { WriteIndented = true }));
            file.Commit();
            log.WriteLine($"wrote {jsonPath}");
        }
        return 0;
    }
}
