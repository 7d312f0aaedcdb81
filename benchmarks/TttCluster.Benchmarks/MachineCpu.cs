using System.Globalization;

namespace TttCluster.Benchmarks;

/// <summary>
/// The whole machine's CPU account from Linux's /proc/stat: core-seconds spent working (user, nice, system, irq,
/// softirq), core-seconds idle, and context switches. Summed over the configurations' timed renders it says whether a
/// slower configuration left cores idle (waiting) or kept them busy with more work (spinning, switching, copying).
/// The account is machine-wide, so it also holds whatever else the machine ran meanwhile; on a quiet machine that is little.
/// Also the load average and this process's peak memory, from the same /proc.
/// </summary>
public readonly record struct MachineCpu(double BusySeconds, double IdleSeconds, long ContextSwitches)
{
    private const double TicksPerSecond = 100;   // USER_HZ: /proc/stat counts in 1/100 s on every Linux ABI

    /// <summary>The counters now; null where there is no /proc/stat (not Linux).</summary>
    public static MachineCpu? Read()
    {
        if (!File.Exists("/proc/stat")) return null;
        double busy = 0, idle = 0;
        long switches = 0;
        foreach (string line in File.ReadLines("/proc/stat"))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[0] == "cpu")
            {
                // user nice system idle iowait irq softirq steal ...: steal is time the hypervisor gave to others.
                long Field(int i) => f.Length > i ? long.Parse(f[i], CultureInfo.InvariantCulture) : 0;
                busy = (Field(1) + Field(2) + Field(3) + Field(6) + Field(7)) / TicksPerSecond;
                idle = (Field(4) + Field(5)) / TicksPerSecond;
            }
            else if (f[0] == "ctxt")
                switches = long.Parse(f[1], CultureInfo.InvariantCulture);
        }
        return new MachineCpu(busy, idle, switches);
    }

    public static MachineCpu operator -(MachineCpu after, MachineCpu before) =>
        new(after.BusySeconds - before.BusySeconds, after.IdleSeconds - before.IdleSeconds, after.ContextSwitches - before.ContextSwitches);

    public static MachineCpu operator +(MachineCpu a, MachineCpu b) =>
        new(a.BusySeconds + b.BusySeconds, a.IdleSeconds + b.IdleSeconds, a.ContextSwitches + b.ContextSwitches);

    /// <summary>Share of the cores' time that was idle.</summary>
    public double IdleShare => BusySeconds + IdleSeconds > 0 ? IdleSeconds / (BusySeconds + IdleSeconds) : 0;

    /// <summary>This process's peak resident memory (VmHWM in /proc/self/status), MiB, or null where there is none.</summary>
    public static double? PeakMemoryMib()
    {
        if (!File.Exists("/proc/self/status")) return null;
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is not null && long.TryParse(line["VmHWM:".Length..].Trim().Split(' ')[0], out long kib) ? kib / 1024.0 : null;
    }

    /// <summary>The 1-minute load average from /proc/loadavg, or null where there is none.</summary>
    public static double? LoadAverage()
    {
        if (!File.Exists("/proc/loadavg")) return null;
        string first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double load) ? load : null;
    }
}
