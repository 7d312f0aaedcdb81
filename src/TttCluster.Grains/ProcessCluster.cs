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
    private readonly IPEndPoint _primary;
    private readonly string _modelPath;
    private readonly string? _storage;   // Azure Table clustering when set
    private readonly string _clusterId;
    private readonly List<(string Name, Process Process)> _silos = new();
    private readonly object _gate = new();
    private int _nextSiloNumber;   // silo names are never reused: a silo that comes back joins as a new member

    private ProcessCluster(IHost host, IPEndPoint primary, string modelPath, string? storage, string clusterId)
    {
        _host = host;
        _primary = primary;
        _modelPath = modelPath;
        _storage = storage;
        _clusterId = clusterId;
    }

    /// <summary>Calls grains from this process's silo (coordinators activate here).</summary>
    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    private IClusterMembershipService Membership => _host.Services.GetRequiredService<IClusterMembershipService>();

    /// <summary>The names of the silo processes the membership holds active, in start order.</summary>
    public IReadOnlyList<string> Silos
    {
        get
        {
            lock (_gate) return _silos.Where(s => StateOf(s.Name) == SiloState.Alive).Select(s => s.Name).ToArray();
        }
    }

    /// <summary>The membership's view of silo process <paramref name="silo"/> (in start order).</summary>
    public SiloState StateOf(int silo)
    {
        lock (_gate) return StateOf(_silos[silo].Name);
    }

    private SiloState StateOf(string name)
    {
        var statuses = Membership.CurrentSnapshot.Members.Values.Where(m => m.Name == name).Select(m => m.Status).ToArray();
        if (statuses.Contains(SiloStatus.Active)) return SiloState.Alive;
        return statuses.Length > 0 && statuses.All(s => s.IsTerminating()) ? SiloState.Dead : SiloState.Joining;
    }

    /// <summary>The ttt-silo program, next to this assembly (it is a project reference of every host).</summary>
    public static string SiloProgram => Path.Combine(AppContext.BaseDirectory, "ttt-silo.dll");

    /// <param name="storage">A storage connection string: Azure Table clustering instead of development clustering.</param>
    public static async Task<ProcessCluster> StartAsync(ModelBundle model, string modelPath, int silos, CancellationToken cancel, string? storage = null)
    {
        if (silos < 1) throw new ArgumentOutOfRangeException(nameof(silos), silos, "--silos: expected at least 1");
        if (!File.Exists(SiloProgram)) throw new FileNotFoundException($"the silo program is missing: {SiloProgram}");
        var primary = new IPEndPoint(IPAddress.Loopback, SiloHosts.FreePort());
        // In shared storage, a cluster of this render's own: it never mixes with a farm (or an earlier render) there.
        string clusterId = storage is null ? SiloSetup.DefaultClusterId : $"render-{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddHHmmss}";
        var clustering = storage is null ? SiloHosts.Loopback(primary.Port, SiloHosts.FreePort(), primary)
            : SiloHosts.AzureTable(storage, clusterId, primary.Port, SiloHosts.FreePort());
        var host = SiloHosts.Build(model, CoordinatorSiloName, capacity: 0, clustering);
        var cluster = new ProcessCluster(host, primary, Path.GetFullPath(modelPath), storage, clusterId);
        try
        {
            await host.StartAsync(cancel);
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
    public static ProcessStartInfo SiloStartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments.Prepend(SiloProgram)) start.ArgumentList.Add(a);
        return start;
    }

    /// <summary>
    /// Starts one more silo process and waits until the membership holds it active: placements from then on use it. This
    /// is also how a silo comes back after it was declared dead: dead is final for a member, so it joins as a new one.
    /// </summary>
    public async Task<string> AddSiloAsync(CancellationToken cancel)
    {
        string name;
        lock (_gate) name = $"silo-{_nextSiloNumber++}";
        string[] clustering = _storage is null ? ["--primary", _primary.ToString()] : ["--cluster-id", _clusterId];
        var start = SiloStartInfo(["--name", name, "--model", _modelPath, .. clustering, "--parent-pid", Environment.ProcessId.ToString()]);
        // The connection string holds the account key: through the environment, not the command line every user can read.
        start.Environment["TTT_STORAGE"] = _storage ?? "";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {SiloProgram}");
        lock (_gate) _silos.Add((name, process));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            // ttt-silo prints one line once it has joined; from then on nobody reads its output, so both pipes are drained.
            string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || !line.Contains(" joined ", StringComparison.Ordinal))
                throw new InvalidOperationException($"silo {name} exited before joining: {line} {await process.StandardError.ReadToEndAsync(cancel)}".Trim());
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
            while (StateOf(name) != SiloState.Alive) await Task.Delay(20, timeout.Token);   // our view of the table catches up
            return name;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

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

    private Process ProcessOf(int silo) { lock (_gate) return _silos[silo].Process; }

    public async ValueTask DisposeAsync()
    {
        // This silo leaves first, while the silo processes still answer: it hands its part of the grain directory to them
        // at once. Killed first, they would leave it waiting out the stop's timeout for partners that no longer answer.
        await SiloHosts.StopAndDisposeAsync(_host, TimeSpan.FromSeconds(5));
        Process[] processes;
        lock (_gate) processes = _silos.Select(s => s.Process).ToArray();
        foreach (var process in processes)
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
    }
}
