using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using TttCluster.Model;

namespace TttCluster.Grains;

/// <summary>
/// `ttt render --silos N --processes`: N ttt-silo processes on loopback, started and stopped with this object. This
/// process hosts a silo too, with capacity 0: it runs the coordinators and story records, the ttt-silo processes run the
/// segments. Clustering: development clustering with this silo as the primary (it holds the membership table in memory),
/// or, given a storage connection, Orleans' membership table in Azure Table storage (Azurite locally) under a cluster id
/// of this render's own. Membership, failure detection and messaging are Orleans'.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>A silo process as the membership sees it.</summary>
    public enum SiloState { Joining, Alive, Dead }

    /// <summary>The name of this process's own silo (coordinators only).</summary>
    public const string CoordinatorSiloName = "coordinator";

    private readonly IHost _host;
    private readonly SiloProcesses _processes;

    private ProcessCluster(IHost host, string modelPath, IReadOnlyList<string> clustering, string? storage)
    {
        _host = host;
        _processes = new SiloProcesses(modelPath, clustering, storage, name => StateOf(name) == SiloState.Alive);
    }

    /// <summary>Calls grains from this process's silo (coordinators activate here).</summary>
    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    private IClusterMembershipService Membership => _host.Services.GetRequiredService<IClusterMembershipService>();

    /// <summary>The names of the silo processes the membership holds active, in start order.</summary>
    public IReadOnlyList<string> Silos
    {
        get
        {
            return _processes.All.Where(s => StateOf(s.Name) == SiloState.Alive).Select(s => s.Name).ToArray();
        }
    }

    /// <summary>The membership's view of silo process <paramref name="silo"/> (in start order).</summary>
    public SiloState StateOf(int silo) => StateOf(_processes.All[silo].Name);

    private SiloState StateOf(string name)
    {
        var statuses = Membership.CurrentSnapshot.Members.Values.Where(m => m.Name == name).Select(m => m.Status).ToArray();
        if (statuses.Contains(SiloStatus.Active)) return SiloState.Alive;
        return statuses.Length > 0 && statuses.All(s => s.IsTerminating()) ? SiloState.Dead : SiloState.Joining;
    }

    /// <summary>The ttt-silo program, next to this assembly (it is a project reference of every host).</summary>
    public static string SiloProgram => SiloProcesses.SiloProgram;

    /// <param name="storage">A storage connection string: Azure Table clustering instead of development clustering.</param>
    public static async Task<ProcessCluster> StartAsync(ModelBundle model, string modelPath, int silos, CancellationToken cancel, string? storage = null)
    {
        if (silos < 1) throw new ArgumentOutOfRangeException(nameof(silos), silos, "--silos: expected at least 1");
        var primary = new IPEndPoint(IPAddress.Loopback, SiloHosts.FreePort());
        // In shared storage, a cluster of this render's own: it never mixes with a farm (or an earlier render) there.
        string clusterId = storage is null ? SiloSetup.DefaultClusterId : $"render-{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmss}";
        var clustering = storage is null ? SiloHosts.Loopback(primary.Port, SiloHosts.FreePort(), primary)
            : SiloHosts.AzureTable(storage, clusterId, primary.Port, SiloHosts.FreePort());
        var host = SiloHosts.Build(model, CoordinatorSiloName, capacity: 0, clustering);
        string[] clusteringArguments = storage is null ? ["--primary", primary.ToString()] : ["--cluster-id", clusterId];
        var cluster = new ProcessCluster(host, modelPath, clusteringArguments, storage);
        try
        {
            await SiloHosts.StartAsync(host, cancel);
            // All at once: a silo process takes a second or two to start (runtime, model load, joining).
            await Task.WhenAll(Enumerable.Range(0, silos).Select(_ => cluster.AddSiloAsync(cancel)));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>How to start ttt-silo with <paramref name="arguments"/>, its output redirected (the caller reads or drains it).</summary>
    public static ProcessStartInfo SiloStartInfo(IEnumerable<string> arguments) => SiloProcesses.SiloStartInfo(arguments);

    /// <summary>
    /// Starts one more silo process and waits until the membership holds it active: placements from then on use it. This
    /// is also how a silo comes back after it was declared dead: dead is final for a member, so it joins as a new one.
    /// </summary>
    public Task<string> AddSiloAsync(CancellationToken cancel) => _processes.AddAsync(cancel);

    /// <summary>The operating system's id of a silo's process (tests stop it with SIGSTOP to play a hung silo).</summary>
    public int ProcessIdOf(int silo) => ProcessOf(silo).Id;

    /// <summary>Kills a silo process at once (SIGKILL), as a crash would.</summary>
    public void Kill(int silo) => ProcessOf(silo).Kill(entireProcessTree: true);

    /// <summary>Waits for silo process <paramref name="silo"/> to exit; its exit code.</summary>
    public async Task<int> WaitForExitAsync(int silo, CancellationToken cancel)
    {
        var process = ProcessOf(silo);
        await process.WaitForExitAsync(cancel);
        return process.ExitCode;
    }

    private Process ProcessOf(int silo) => _processes.ProcessOf(silo);

    public async ValueTask DisposeAsync()
    {
        // This silo leaves first, while the silo processes still answer: it hands its part of the grain directory to them
        // at once. Killed first, they would leave it waiting out the stop's timeout for partners that no longer answer.
        await SiloHosts.StopAndDisposeAsync(_host, TimeSpan.FromSeconds(5));
        await _processes.DisposeAsync();
    }
}
