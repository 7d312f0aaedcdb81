using System.Diagnostics;

namespace TttCluster.Benchmarks;

/// <summary>Timing helpers: one warm-up run, then repeats until both a count and a time budget are met; the median counts.</summary>
public static class Stopwatches
{
    public static double MedianSeconds(Action action, int minRuns = 3, double minSeconds = 0.5, int maxRuns = 1000)
    {
        action();   // warm-up: JIT, page faults, OpenBLAS thread start
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < maxRuns && (times.Count < minRuns || total.Elapsed.TotalSeconds < minSeconds))
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    public static double OnceSeconds(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalSeconds;
    }
}
