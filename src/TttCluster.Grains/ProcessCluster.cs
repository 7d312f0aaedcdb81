using System.Diagnostics;
using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Runtime;
using TttCluster.Runtime.Transport;

namespace TttCluster.Grains;

/// <summary>
/// `ttt render --silos N --processes`: N ttt-silo processes on loopback, started and stopped with this object. The
/// coordinator runs here; segment grains run in the silos, which call each other directly for halos. Placement is
/// pushed to every silo, so any silo can route any key.
/// </summary>
public sealed class ProcessCluster : ISiloRoster, IAsyncDisposable
{
    private readonly List<(SiloInfo Info, Process Process, Uri Address)> _silos = new();
    private readonly HttpClient _http = HttpGrainInvoker.CreateClient();

    public InProcessCluster Local { get; } = new();
    public RoutedGrainFactory Grains { get; }
    public IReadOnlyList<SiloInfo> Silos => _silos.Select(s => s.Info).ToArray();
    public IReadOnlyList<Uri> Addresses => _silos.Select(s => s.Address).ToArray();

    private ProcessCluster(ModelBundle model)
    {
        Grains = new RoutedGrainFactory(Local, new HttpGrainInvoker(_http, Local.CallDeadline));
        Local.AddSilo("coordinator", 1, new ClusterHost.SiloServices(model));
        Local.Register<ICoordinatorGrain>((_, _) => new CoordinatorGrain(model.Config, Grains, this));
    }

    /// <summary>The ttt-silo program, next to this assembly (it is a project reference of every host).</summary>
    public static string SiloProgram => Path.Combine(AppContext.BaseDirectory, "ttt-silo.dll");

    public static async Task<ProcessCluster> StartAsync(ModelBundle model, string modelPath, int silos, CancellationToken cancel)
    {
        if (silos < 1) throw new ArgumentOutOfRangeException(nameof(silos), silos, "--silos: expected at least 1");
        if (!File.Exists(SiloProgram)) throw new FileNotFoundException($"the silo program is missing: {SiloProgram}");
        var cluster = new ProcessCluster(model);
        try
        {
            for (int i = 0; i < silos; i++) cluster._silos.Add(await StartSilo($"silo-{i}", modelPath, cancel));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    private static async Task<(SiloInfo, Process, Uri)> StartSilo(string id, string modelPath, CancellationToken cancel)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { SiloProgram, "--id", id, "--port", "0", "--model", Path.GetFullPath(modelPath) }) start.ArgumentList.Add(a);
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
                const string marker = " listening on ";
                int at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0) return (new SiloInfo(id, 1), process, new Uri(line[(at + marker.Length)..].Trim()));
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    public async Task PlaceAsync(IReadOnlyDictionary<string, int> placement, CancellationToken cancel)
    {
        var keys = placement.Keys.ToArray();
        var urls = keys.Select(k => _silos[placement[k]].Address.ToString()).ToArray();
        for (int i = 0; i < keys.Length; i++) Grains.Route(keys[i], _silos[placement[keys[i]]].Address);
        byte[] body = BinaryCodec.Serialize([keys, urls], [typeof(IReadOnlyList<string>), typeof(IReadOnlyList<string>)]);
        await Task.WhenAll(_silos.Select(async s =>
        {
            using var response = await _http.PostAsync(new Uri(s.Address, "directory"), new ByteArrayContent(body), cancel);
            if (!response.IsSuccessStatusCode)
                throw new GrainCallException($"silo {s.Info.Id} refused the placement: {await response.Content.ReadAsStringAsync(cancel)}");
        }));
    }

    /// <summary>Kills a silo process at once (SIGKILL), as a crash would.</summary>
    public void Kill(int silo) => _silos[silo].Process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process, _) in _silos)
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
        _http.Dispose();
    }
}
