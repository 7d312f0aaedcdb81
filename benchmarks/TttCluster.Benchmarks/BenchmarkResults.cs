using TttCluster.Tensors;

namespace TttCluster.Benchmarks;

/// <summary>
/// Named figures in the order they were measured; each is printed as it comes. Figures that are a % of the sgemm
/// baseline keep their GFLOP/s, so <see cref="Finish"/> can restate them against the final (best) baseline and flag any
/// that came out above it: a kernel faster than the machine's best sgemm is a measurement disturbed by load.
/// </summary>
public sealed class BenchmarkResults(TextWriter log, SgemmBaseline baseline)
{
    /// <summary>A figure over the baseline by more than this is flagged; below it is the run-to-run noise of one kernel.</summary>
    public const double AboveBaselineTolerancePct = 2;

    /// <summary>Spread of the baseline samples above which the machine was too busy to measure.</summary>
    public const double BusySpreadPct = 15;

    private readonly List<(string Name, double Gflops, double PrintedBaseline)> _ratios = [];

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

    /// <summary>A speed as a % of the baseline (<c>NAME_pct_of_baseline</c>), printed against the best sample so far.</summary>
    public void AddPercentOfBaseline(string name, double gflops, string? note = null)
    {
        double best = baseline.Best;
        _ratios.Add((name, gflops, best));
        Add(name, 100 * gflops / best, "%", $"{gflops:N1} GFLOP/s" + (note is null ? "" : $" {note}"));
    }

    /// <summary>
    /// The baseline's own figures, the ratios against its final value, and whether the run can be trusted. The load
    /// averages (null where the machine keeps none) say how busy the machine was around the run.
    /// </summary>
    public void Finish(double? loadAtStart, double? loadAtEnd)
    {
        double final = baseline.Best;
        Add("sgemm_baseline_gflops", final, "GFLOP/s",
            $"(baseline: best of {baseline.Samples} samples at {baseline.Shape} through the run, median {baseline.Median:N1}; {baseline.BestKernel})");
        Add("sgemm_baseline_spread_pct", 100 * baseline.Spread, "%", "(best − worst sample, over best)");
        if (loadAtEnd is { } load) Add("load_average_at_end", load, "");
        if (MachineCpu.PeakMemoryMib() is { } peak) Add("peak_memory_mib", peak, "MiB", "(this process's peak resident memory; silo processes not counted)");
        if (baseline.ManagedIsBest)
            log.WriteLine($"note: the managed sgemm outran {Gemm.BackendDescription}; is OPENBLAS_CORETYPE set to an older kernel family than this CPU has?");

        // Restate every ratio against the final baseline; reprint those that moved.
        var moved = _ratios.Where(r => r.PrintedBaseline < final * 0.99).ToArray();
        foreach (var (name, gflops, _) in _ratios) Figures[name] = Math.Round(100 * gflops / final, 4);
        if (moved.Length > 0)
        {
            log.WriteLine($"the baseline rose to {final:N1} GFLOP/s during the run; against it (the JSON holds these):");
            foreach (var (name, gflops, _) in moved) log.WriteLine($"  {name,-50} {100 * gflops / final,14:N3} %");
        }

        var above = _ratios.Where(r => 100 * r.Gflops / final > 100 + AboveBaselineTolerancePct).ToArray();
        double spreadPct = 100 * baseline.Spread;
        bool busy = spreadPct > BusySpreadPct || above.Length > 0;
        Info("machine_busy", busy ? "yes" : "no");
        if (above.Length > 0)
            log.WriteLine($"MEASUREMENT ERROR: {above.Length} figure(s) above 100% of the baseline " +
                          $"({string.Join(", ", above.Select(a => $"{a.Name} {100 * a.Gflops / final:N0}%"))}): the machine's load changed while measuring");
        if (busy)
        {
            var loads = new List<string>();
            if (loadAtStart is { } s) loads.Add($"{s:N2} at the start");
            if (loadAtEnd is { } e) loads.Add($"{e:N2} at the end");
            log.WriteLine($"the machine was too busy to measure: baseline samples spread {spreadPct:N0}% (best {final:N1}, median {baseline.Median:N1} GFLOP/s)" +
                          (loads.Count == 0 ? "" : $", load average {string.Join(" and ", loads)}") +
                          $" on {Environment.ProcessorCount} cores; rerun on a quiet machine");
        }
    }
}
