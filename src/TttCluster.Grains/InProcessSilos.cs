using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TttCluster.Model;

namespace TttCluster.Grains;

/// <summary>
/// `ttt render --silos N`: N Orleans silos inside this process, on loopback, sharing one loaded model; silo 0 is the
/// primary of development clustering and hosts the coordinators (they are placed on their caller's silo).
/// </summary>
public sealed class InProcessSilos : IAsyncDisposable
{
    private readonly List<IHost> _hosts;

    private InProcessSilos(List<IHost> hosts) => _hosts = hosts;

    /// <summary>Calls grains from silo 0 (coordinators activate there).</summary>
    public IGrainFactory Grains => _hosts[0].Services.GetRequiredService<IGrainFactory>();

    /// <summary>Silo <paramref name="silo"/>'s call recorder (benchmarks).</summary>
    public CallRecorder RecorderOf(int silo) => _hosts[silo].Services.GetRequiredService<CallRecorder>();

    public int Count => _hosts.Count;

    public static async Task<InProcessSilos> StartAsync(ModelBundle model, int silos, CancellationToken cancel)
    {
        if (silos < 1) throw new ArgumentOutOfRangeException(nameof(silos), silos, "--silos: expected at least 1");
        var ports = Enumerable.Range(0, silos).Select(_ => (Silo: SiloHosts.FreePort(), Gateway: SiloHosts.FreePort())).ToArray();
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0].Silo);
        var hosts = Enumerable.Range(0, silos)
            .Select(i => SiloHosts.Build(model, $"silo-{i}", 1, SiloHosts.Loopback(ports[i].Silo, ports[i].Gateway, primary))).ToList();
        var cluster = new InProcessSilos(hosts);
        try
        {
            // The primary first: the others join through it. One at a time: silos joining at once contend for the membership
            // table and back off (measured: 3 silos 6 s at once, 2 s one after another).
            foreach (var host in hosts) await SiloHosts.StartAsync(host, cancel);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        // Secondaries first, the primary (which holds the membership table) last.
        foreach (var host in Enumerable.Reverse(_hosts)) await SiloHosts.StopAndDisposeAsync(host, TimeSpan.FromSeconds(10));
    }
}
