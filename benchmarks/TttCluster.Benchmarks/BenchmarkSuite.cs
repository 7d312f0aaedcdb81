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
    public static int Run(bool quick, string? jsonPath, TextWriter log)
    {
        var results = new BenchmarkResults(log);
        results.Info("gemm_backend", Gemm.BackendDescription);
        results.Info("processor_count", Environment.ProcessorCount.ToString());
        results.Info("mode", quick ? "quick" : "full");

        double baseline = GemmBenchmarks.SgemmBaseline(results);
        GemmBenchmarks.ModelShapes(results, baseline, quick);
        ScanAndAttentionBenchmarks.Run(results, baseline, quick);
        StepBenchmarks.TinyStep(results, baseline, quick);
        StepBenchmarks.CogVideoLayer(results, quick);

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
