namespace TttCluster.Gateway;

/// <summary>
/// Each silo's processor use over the last minute, from the processor time its process reports (sampled every
/// <see cref="SamplePeriod"/> by <see cref="FarmSilos"/>), and the story steps redone because it died. Keyed by the
/// silo's name: a replacement silo has a name of its own.
/// </summary>
public sealed class SiloUsage
{
    public static readonly TimeSpan SamplePeriod = TimeSpan.FromSeconds(5);

    /// <summary>The span the utilisation and its history cover.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private sealed record Sample(DateTime At, double CpuSeconds, int Cores);

    private readonly Dictionary<string, List<Sample>> _samples = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);

    /// <summary>Records what a silo's process reported now.</summary>
    public void Record(string silo, double cpuSeconds, int cores, DateTime at)
    {
        lock (_samples)
        {
            if (!_samples.TryGetValue(silo, out var samples)) _samples[silo] = samples = [];
            // A restarted process under the same name starts its count again: its old samples mean nothing now.
            if (samples.Count > 0 && cpuSeconds < samples[^1].CpuSeconds) samples.Clear();
            samples.Add(new Sample(at, cpuSeconds, Math.Max(cores, 1)));
            // One sample older than the window stays: the first interval of the window needs its start.
            while (samples.Count > 2 && samples[1].At <= at - Window) samples.RemoveAt(0);
        }
    }

    /// <summary>A story step was redone because these silos died.</summary>
    public void CountFailure(IEnumerable<string> deadSilos)
    {
        lock (_failures)
            foreach (string silo in deadSilos.Where(s => s.Length > 0))
                _failures[silo] = _failures.GetValueOrDefault(silo) + 1;
    }

    public int FailuresOf(string silo)
    {
        lock (_failures) return _failures.GetValueOrDefault(silo);
    }

    /// <summary>
    /// Processor use from 0 to 1 (all its cores busy) over the last minute, or as much of it as was sampled, and the use
    /// in each sample period of it, oldest first; null and empty until two samples are there.
    /// </summary>
    public (double? Utilisation, double[] History) UtilisationOf(string silo)
    {
        lock (_samples)
        {
            if (!_samples.TryGetValue(silo, out var samples) || samples.Count < 2) return (null, []);
            var history = new double[samples.Count - 1];
            for (int i = 1; i < samples.Count; i++) history[i - 1] = Use(samples[i - 1], samples[i]);
            return (Use(samples[0], samples[^1]), history);
        }
    }

    /// <summary>Forgets silos the membership no longer lists.</summary>
    public void Keep(IReadOnlySet<string> silos)
    {
        lock (_samples)
            foreach (string gone in _samples.Keys.Where(name => !silos.Contains(name)).ToArray())
                _samples.Remove(gone);
    }

    private static double Use(Sample from, Sample to)
    {
        double seconds = (to.At - from.At).TotalSeconds;
        return seconds <= 0 ? 0 : Math.Clamp((to.CpuSeconds - from.CpuSeconds) / (seconds * to.Cores), 0, 1);
    }
}
