using System.Diagnostics;
using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Runtime;
using TttCluster.Runtime.Transport;

namespace TttCluster.Grains;

/// <summary>
/// `ttt render --silos N --processes`: N ttt-silo processes on loopback, started and stopped with this object. The
/// coordinator and story grains run here (this process serves grain calls too: the silos report progress to the story
/// grains); segment grains run in the silos, which call each other directly for halos and scan states. Placement is
/// pushed to every silo, so any silo can route any key.
/// </summary>
public sealed class ProcessCluster : ISiloRoster, IAsyncDisposable
{
    /// <summary>Membership: a silo that misses one heartbeat is suspected, three in a row dead.</summary>
    public enum SiloState { Alive, Suspected, Dead }

    /// <param name="Address">HTTP: health checks and the directory.</param>
    /// <param name="GrainAddress">tcp://: grain calls.</param>
    private sealed class Member(SiloInfo info, Process process, Uri address, Uri grainAddress)
    {
        public SiloInfo Info { get; } = info;
        public Process Process { get; } = process;
        public Uri Address { get; } = address;
        public Uri GrainAddress { get; } = grainAddress;
        public SiloState State { get; set; } = SiloState.Alive;
        public int MissedHeartbeats { get; set; }
    }

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(500);
    /// <summary>A silo busy computing on a loaded machine still answers its health check well within this.</summary>
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(2);
    public const int MissesBeforeDead = 3;

    private readonly List<Member> _silos = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly SocketGrainInvoker _remote;
    /// <summary>This process's own grain server: the silos report segment progress to the story grains here.</summary>
    private readonly GrainSocketServer _server;
    private int _nextSiloNumber;   // silo ids are never reused
    private readonly CancellationTokenSource _stop = new();
    private Task _heartbeats = Task.CompletedTask;
    private readonly object _gate = new();

    public InProcessCluster Local { get; } = new();
    public RoutedGrainFactory Grains { get; }

    public IReadOnlyList<SiloInfo> Silos { get { lock (_gate) return Living.Select(m => m.Info).ToArray(); } }
    /// <summary>Each silo's HTTP address (health, directory), in start order.</summary>
    public IReadOnlyList<Uri> Addresses { get { lock (_gate) return _silos.Select(s => s.Address).ToArray(); } }
    /// <summary>Each silo's grain address (tcp://), in start order.</summary>
    public IReadOnlyList<Uri> GrainAddresses { get { lock (_gate) return _silos.Select(s => s.GrainAddress).ToArray(); } }
    public SiloState StateOf(int silo) { lock (_gate) return _silos[silo].State; }

    private Member[] Living => _silos.Where(m => m.State != SiloState.Dead).ToArray();

    private readonly string _modelPath;

    private ProcessCluster(ModelBundle model, string modelPath)
    {
        _modelPath = modelPath;
        _remote = new SocketGrainInvoker(Local.CallDeadline);
        Grains = new RoutedGrainFactory(Local, _remote);
        _server = new GrainSocketServer(Local);
        var subscriptions = new ProgressSubscriptions();
        Local.AddSilo("coordinator", 1);
        Local.Register<ICoordinatorGrain>((_, _) => new CoordinatorGrain(model.Config, Grains, this, new InMemoryCheckpointStore(), subscriptions));
        Local.Register<IStoryGrain>((key, _) => new StoryGrain(key, subscriptions));
    }


    /// <summary>
    /// Starts one more silo process and admits it: placements from now on use it. This is also how a silo comes back
    /// after it was declared dead: as in Orleans, dead is final for a member, so it rejoins as a new one, with a new id.
    /// </summary>
    public async Task<string> AddSiloAsync(CancellationToken cancel)
    {
        string id;
        lock (_gate) id = $"silo-{_nextSiloNumber++}";
        var (info, process, address, grainAddress) = await StartSilo(id, _modelPath, cancel);
        Grains.Route(typeof(ISiloGrain), info.Id, grainAddress);   // before it is a member: a plan may use it at once
        lock (_gate) _silos.Add(new Member(info, process, address, grainAddress));
        return id;
    }

    /// <summary>The ttt-silo program, next to this assembly (it is a project reference of every host).</summary>
    public static string SiloProgram => Path.Combine(AppContext.BaseDirectory, "ttt-silo.dll");

    public static async Task<ProcessCluster> StartAsync(ModelBundle model, string modelPath, int silos, CancellationToken cancel)
    {
        if (silos < 1) throw new ArgumentOutOfRangeException(nameof(silos), silos, "--silos: expected at least 1");
        if (!File.Exists(SiloProgram)) throw new FileNotFoundException($"the silo program is missing: {SiloProgram}");
        var cluster = new ProcessCluster(model, modelPath);
        try
        {
            cluster.Grains.Self = cluster._server.Start(System.Net.IPAddress.Loopback, 0);
            // All at once: a silo takes most of a second to start (runtime, model load).
            var starting = Enumerable.Range(0, silos).Select(i => StartSilo($"silo-{i}", modelPath, cancel)).ToArray();
            try { await Task.WhenAll(starting); }
            catch
            {
                foreach (var started in starting.Where(t => t.IsCompletedSuccessfully)) started.Result.Item2.Kill(entireProcessTree: true);
                throw;
            }
            foreach (var (info, process, address, grainAddress) in starting.Select(t => t.Result))
            {
                cluster.Grains.Route(typeof(ISiloGrain), info.Id, grainAddress);
                lock (cluster._gate) cluster._silos.Add(new Member(info, process, address, grainAddress));
            }
            cluster._nextSiloNumber = silos;
            cluster._heartbeats = cluster.HeartbeatLoop(cluster._stop.Token);
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

    private static async Task<(SiloInfo, Process, Uri, Uri)> StartSilo(string id, string modelPath, CancellationToken cancel)
    {
        var start = SiloStartInfo(["--id", id, "--model", Path.GetFullPath(modelPath), "--parent-pid", Environment.ProcessId.ToString()]);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {SiloProgram}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            while (true)
            {
                string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                    throw new InvalidOperationException($"silo {id} exited before listening: {await process.StandardError.ReadToEndAsync(cancel)}");
                const string marker = " listening on ", grainMarker = " grains on ";
                int at = line.IndexOf(marker, StringComparison.Ordinal), grainsAt = line.IndexOf(grainMarker, StringComparison.Ordinal);
                if (at >= 0 && grainsAt > at)
                {
                    // From here on nobody reads the silo's output: drain both pipes so a chatty silo never blocks on them.
                    _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                    return (new SiloInfo(id, 1), process, new Uri(line[(at + marker.Length)..grainsAt].Trim()),
                        new Uri(line[(grainsAt + grainMarker.Length)..].Trim()));
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    public async Task PlaceAsync(string storyId, IReadOnlyDictionary<string, string> placement, CancellationToken cancel)
    {
        Member[] living;
        lock (_gate) living = Living;
        var keys = placement.Keys.ToArray();
        var targets = keys.Select(k => living.FirstOrDefault(m => m.Info.Id == placement[k])
            ?? throw new GrainCallException($"cannot place '{k}' on silo {placement[k]}: it is not alive")).ToArray();
        var entries = keys.Select(k => RoutedGrainFactory.DirectoryKey(typeof(ISegmentGrain), k)).ToList();
        var addresses = targets.Select(t => t.GrainAddress.ToString()).ToList();
        for (int i = 0; i < keys.Length; i++) Grains.Route(entries[i], targets[i].GrainAddress);
        // The story's grain lives here, with its coordinator: the silos send it their segments' progress.
        entries.Add(RoutedGrainFactory.DirectoryKey(typeof(IStoryGrain), storyId));
        addresses.Add(Grains.Self!.ToString());
        byte[] body = BinaryCodec.Serialize([entries, addresses],
            [typeof(IReadOnlyList<string>), typeof(IReadOnlyList<string>)]);
        await Task.WhenAll(living.Select(async s =>
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            limit.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                using var response = await _http.PostAsync(new Uri(s.Address, "directory"), new ByteArrayContent(body), limit.Token);
                if (!response.IsSuccessStatusCode)
                    throw new GrainCallException($"silo {s.Info.Id} refused the placement: {await response.Content.ReadAsStringAsync(cancel)}");
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
            {
                throw new GrainCallException($"silo {s.Info.Id} at {s.Address} did not take the placement: {e.Message}", e);
            }
        }));
    }

    /// <summary>After a failed call: every silo that does not answer its health check now is declared dead.</summary>
    public async Task ProbeAsync(CancellationToken cancel)
    {
        Member[] living;
        lock (_gate) living = Living;
        var answers = await Task.WhenAll(living.Select(m => AnswersAsync(m, HeartbeatTimeout, cancel)));
        CancellationTokenSource? fired = null;
        lock (_gate)
            for (int i = 0; i < living.Length; i++)
                if (!answers[i] && living[i].State != SiloState.Dead)
                {
                    living[i].State = SiloState.Dead;
                    fired ??= SiloDied();
                }
        fired?.Cancel();
    }

    private async Task HeartbeatLoop(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(HeartbeatInterval, stop); } catch (OperationCanceledException) { return; }
            Member[] living;
            lock (_gate) living = Living;
            bool[] answers;
            try { answers = await Task.WhenAll(living.Select(m => AnswersAsync(m, HeartbeatTimeout, stop))); }
            catch (OperationCanceledException) { return; }   // shutting down
            CancellationTokenSource? fired = null;
            lock (_gate)
                for (int i = 0; i < living.Length; i++)
                {
                    var m = living[i];
                    if (m.State == SiloState.Dead) continue;   // declared dead meanwhile (by a probe): dead stays dead
                    m.MissedHeartbeats = answers[i] ? 0 : m.MissedHeartbeats + 1;
                    m.State = m.MissedHeartbeats == 0 ? SiloState.Alive : m.MissedHeartbeats >= MissesBeforeDead ? SiloState.Dead : SiloState.Suspected;
                    if (m.State == SiloState.Dead) fired ??= SiloDied();
                }
            fired?.Cancel();
        }
    }

    private async Task<bool> AnswersAsync(Member member, TimeSpan timeout, CancellationToken cancel)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        try
        {
            using var response = await _http.GetAsync(new Uri(member.Address, "health"), limit.Token);
            return response.IsSuccessStatusCode;
        }
        // The caller giving up says nothing about the silo: that is not a missed answer.
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancel.IsCancellationRequested)) { return false; }
    }

    private CancellationTokenSource _siloLost = new();

    public CancellationToken SiloLost { get { lock (_gate) return _siloLost.Token; } }

    /// <summary>Under the gate: a silo was just declared dead; wakes whoever waits on the current token.</summary>
    private CancellationTokenSource SiloDied()
    {
        var fired = _siloLost;
        _siloLost = new CancellationTokenSource();
        return fired;
    }

    /// <summary>The operating system's id of a silo's process (tests stop it with SIGSTOP to play a hung silo).</summary>
    public int ProcessIdOf(int silo) => ProcessOf(silo).Id;

    /// <summary>Kills a silo process at once (SIGKILL), as a crash would.</summary>
    public void Kill(int silo) => ProcessOf(silo).Kill(entireProcessTree: true);

    private Process ProcessOf(int silo) { lock (_gate) return _silos[silo].Process; }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _heartbeats;
        Process[] processes;
        lock (_gate) processes = _silos.Select(m => m.Process).ToArray();
        foreach (var process in processes)
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
        await _remote.DisposeAsync();
        await _server.DisposeAsync();
        _http.Dispose();
    }
}
