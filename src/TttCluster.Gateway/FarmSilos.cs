using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using TttCluster.Abstractions;
using TttCluster.Grains;

namespace TttCluster.Gateway;

/// <summary>A silo of the farm as the API shows it.</summary>
/// <param name="Status">
/// The membership's word for it (joining, active, shutting-down, stopping or dead), or "suspected": active in the
/// membership but not answering (a silo that hangs, or has just died and is not yet declared dead).
/// </param>
/// <param name="Capacity">Its share of the segments; 0: it only coordinates. Null when it did not answer.</param>
/// <param name="Segments">Segment grains it holds now (null when it did not answer).</param>
/// <param name="Stories">The stories it works on (null when it did not answer).</param>
/// <param name="Utilisation">Its process's processor use over the last minute, 0 to 1 (null until sampled twice).</param>
/// <param name="UtilisationHistory">The use in each <see cref="SiloUsage.SamplePeriod"/> of the last minute, oldest first.</param>
/// <param name="Failures">Story steps redone because this silo died.</param>
public sealed record SiloView(string Name, string Address, string Status, int? Capacity, int? Segments, IReadOnlyList<string>? Stories,
    double? Utilisation = null, double[]? UtilisationHistory = null, int Failures = 0);

/// <summary>
/// The farm's silos: what each is and does (for /v1/silos and for the scheduler, which takes no story while no silo takes
/// work), and, with <see cref="FarmSettings.SiloProcesses"/>, the ttt-silo processes this process starts: each joins the
/// farm's cluster, and one that dies is replaced, so the farm keeps its size without an operator.
/// </summary>
public sealed class FarmSilos(IGrainFactory grains, IClusterMembershipService membership, ILocalSiloDetails local, FarmSettings settings,
    SiloUsage usage, IHostApplicationLifetime lifetime, ILogger<FarmSilos> log) : BackgroundService
{
    /// <summary>How long a silo has to answer a status call before it counts as not answering.</summary>
    private static readonly TimeSpan StatusPatience = TimeSpan.FromSeconds(2);

    /// <summary>How often dead silo processes are looked for, and the least time between two starts of a replacement.</summary>
    private static readonly TimeSpan SupervisePeriod = TimeSpan.FromSeconds(1), RestartBackoff = TimeSpan.FromSeconds(5);

    private SiloProcesses? _processes;

    /// <summary>The ttt-silo processes this farm started (null without --silos): tests kill one.</summary>
    internal SiloProcesses? Processes => _processes;

    /// <summary>How ttt-silo joins this farm's cluster: its arguments (the storage connection string goes in TTT_STORAGE).</summary>
    public IReadOnlyList<string> JoinArguments => settings.Storage is null
        ? ["--primary", local.SiloAddress.Endpoint.ToString()]
        : ["--cluster-id", SiloSetup.DefaultClusterId, "--service-id", SiloSetup.DefaultServiceId];

    /// <summary>Every silo the membership knows, in name order: the living ones with what they hold.</summary>
    public async Task<IReadOnlyList<SiloView>> ListAsync(CancellationToken cancel)
    {
        var members = membership.CurrentSnapshot.Members.Values.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.SiloAddress.Generation).ToArray();
        return await Task.WhenAll(members.Select(async member =>
        {
            SiloWorkload? workload = member.Status == SiloStatus.Active ? await StatusOfAsync(member.Name, cancel) : null;
            string status = member.Status == SiloStatus.Active && workload is null ? "suspected" : StatusWord(member.Status);
            var (utilisation, history) = usage.UtilisationOf(member.Name);
            return new SiloView(member.Name, member.SiloAddress.Endpoint.ToString(), status,
                workload?.Capacity, workload?.ActiveSegments, workload?.Stories, utilisation, history, usage.FailuresOf(member.Name));
        }));
    }

    /// <summary>Whether an active silo that takes work (capacity above 0) answers now.</summary>
    public async Task<bool> AnyWorkerAsync(CancellationToken cancel)
    {
        var active = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).ToArray();
        var statuses = await Task.WhenAll(active.Select(name => StatusOfAsync(name, cancel)));
        return statuses.Any(s => s is { Capacity: > 0 });
    }

    private async Task<SiloWorkload?> StatusOfAsync(string silo, CancellationToken cancel)
    {
        try
        {
            return await grains.GetGrain<ISiloGrain>(silo).GetStatusAsync(cancel).WaitAsync(StatusPatience, cancel);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            return null;   // a silo on its way out: shown without its figures
        }
    }

    private static string StatusWord(SiloStatus status) => status switch
    {
        SiloStatus.Created or SiloStatus.Joining => "joining",
        SiloStatus.Active => "active",
        SiloStatus.ShuttingDown => "shutting-down",
        SiloStatus.Stopping => "stopping",
        _ => "dead",
    };

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        if (settings.SiloProcesses > 0 && settings.ModelPath is null)
            throw new InvalidOperationException("silo processes need the model's path (FarmSettings.ModelPath)");
        // The silo processes join this process's silo: wait until it is up.
        await lifetime.WhenStartedAsync(stopping);
        if (settings.SiloProcesses > 0)
            _processes = new SiloProcesses(settings.ModelPath!, JoinArguments, settings.Storage,
                name => membership.CurrentSnapshot.Members.Values.Any(m => m.Name == name && m.Status == SiloStatus.Active), namePrefix: "worker-");
        DateTime lastStart = DateTime.MinValue, lastSample = DateTime.MinValue;
        while (!stopping.IsCancellationRequested)
        {
            if (DateTime.UtcNow - lastSample >= SiloUsage.SamplePeriod)
            {
                lastSample = DateTime.UtcNow;
                await SampleUsageAsync(stopping);
            }
            int living = _processes?.Living ?? 0;
            if (_processes is not null && living < settings.SiloProcesses && DateTime.UtcNow - lastStart >= RestartBackoff)
            {
                lastStart = DateTime.UtcNow;
                int missing = settings.SiloProcesses - living;
                if (_processes.All.Count > 0) log.LogWarning("{Missing} silo process(es) exited; starting replacements", missing);
                try
                {
                    var names = await Task.WhenAll(Enumerable.Range(0, missing).Select(_ => _processes.AddAsync(stopping)));
                    log.LogInformation("silo processes {Names} joined the farm", string.Join(", ", names));
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    // A silo that cannot start (its program missing, the port taken, over a minute to join) must not stop the farm.
                    log.LogError(e, "a silo process could not join the farm; trying again in {Backoff}", RestartBackoff);
                }
            }
            try { await Task.Delay(SupervisePeriod, stopping); }
            catch (OperationCanceledException) { }
        }
    }

    /// <summary>Each active silo's processor time now, for its utilisation (<see cref="SiloUsage"/>).</summary>
    private async Task SampleUsageAsync(CancellationToken cancel)
    {
        var members = membership.CurrentSnapshot.Members.Values.ToArray();
        usage.Keep(members.Select(m => m.Name).ToHashSet(StringComparer.Ordinal));
        await Task.WhenAll(members.Where(m => m.Status == SiloStatus.Active).Select(async member =>
        {
            if (await StatusOfAsync(member.Name, cancel) is { } workload)
                usage.Record(member.Name, workload.CpuSeconds, workload.Cores, DateTime.UtcNow);
        }));
    }


    public override async Task StopAsync(CancellationToken cancel)
    {
        await base.StopAsync(cancel);
        // SIGTERM: each leaves the cluster cleanly (no stale entry in a shared membership table), then whatever is left is killed.
        if (_processes is not null) await _processes.StopAsync(TimeSpan.FromSeconds(10));
    }
}
