using System.Text.Json;
using TttCluster.Model;
using TttCluster.Tensors;

namespace TttCluster.Benchmarks;

/// <summary>
/// `ttt bench`: every figure of issue 2 in one run, each speed also given as a ratio against the sgemm baseline
/// measured at the start of the same run (so figures from different machines or load compare fairly).
/// </summary>
public static class BenchmarkSuite
{
    /// <summary>Groups that <c>--only</c> can pick; the sgemm baseline always runs.</summary>
    public static readonly string[] Groups = ["gemm", "scan", "attention", "step", "layer", "render", "cluster"];

    public static int Run(bool quick, string? jsonPath, TextWriter log, string? only = null)
    {
        if (only is not null && !Groups.Contains(only))
            throw new ArgumentException($"--only: expected one of {string.Join(", ", Groups)}, found '{only}'");
        bool Want(string group) => only is null || only == group;
        var results = new BenchmarkResults(log);
        results.Info("gemm_backend", Gemm.BackendDescription);
        results.Info("processor_count", Environment.ProcessorCount.ToString());
        results.Info("mode", quick ? "quick" : "full");

        double baseline = GemmBenchmarks.SgemmBaseline(results);
        if (Want("gemm")) GemmBenchmarks.ModelShapes(results, baseline, quick);
        if (Want("scan")) ScanAndAttentionBenchmarks.Scans(results, baseline, quick);
        if (Want("attention")) ScanAndAttentionBenchmarks.Attentions(results, baseline, quick);
        if (Want("step")) StepBenchmarks.TinyStep(results, baseline, quick);
        if (Want("layer")) StepBenchmarks.CogVideoLayer(results, quick);
        if (Want("render")) RenderBenchmarks.OneMinuteStory(results);
        if (Want("cluster")) ClusterBenchmarks.Run(results, quick).GetAwaiter().GetResult();

        if (jsonPath is not null)
        {
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(results.Figures, new JsonSerializerOptions { WriteIndented = true }));
            log.WriteLine($"wrote {jsonPath}");
        }
        return 0;
    }
}

/// <summary>Named figures in the order they were measured; each is printed as it comes.</summary>
public sealed class BenchmarkResults(TextWriter log)
{
    public Dictionary<string, object> Figures { get; } = new();

    public void Add(string name, double value, string unit, string? note = null)
    {
        Figures[name] = Math.Round(value, 4);
        log.WriteLine($"{name,-52} {value,14:N3} {unit}{(note is null ? "" : "   " + note)}");
    }

    public void Info(string name, string value)
    {
        Figures[name] = value;
        log.WriteLine($"{name,-52} {value}");
    }
}
