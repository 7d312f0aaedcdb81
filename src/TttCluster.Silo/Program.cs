using System.Net;
using System.Runtime.InteropServices;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using TttCluster.Grains;
using TttCluster.Model;
using TttCluster.Silo;

// ttt-silo: a worker silo process. An Orleans silo on the generic host that hosts the segment grains a coordinator places
// on it (and its own silo grain); Orleans' membership finds the cluster through the primary silo (development clustering)
// or an Azure storage table.
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(SiloArguments.Usage);
    return 0;
}
SiloArguments options;
try
{
    options = SiloArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"ttt-silo: {e.Message}");
    return 2;
}

// A silo started by a parent (ttt render --processes, tests) ends with it, even if the parent dies without stopping it.
if (options.ParentPid > 0)
    _ = Task.Run(async () =>
    {
        try
        {
            using var parent = System.Diagnostics.Process.GetProcessById(options.ParentPid);
            await parent.WaitForExitAsync();
        }
        catch (ArgumentException) { }   // no such process any more
        Environment.Exit(0);
    });

ModelBundle model;
try
{
    model = ModelBundle.Load(options.ModelPath);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
{
    Console.Error.WriteLine($"ttt-silo: --model: {e.Message}");
    return 2;
}

int siloPort = options.SiloPort == 0 ? SiloHosts.FreePort() : options.SiloPort;
int gatewayPort = options.GatewayPort == 0 ? SiloHosts.FreePort() : options.GatewayPort;
void Clustering(ISiloBuilder silo)
{
    silo.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
    silo.Configure<EndpointOptions>(o =>
    {
        o.AdvertisedIPAddress = options.Advertise;
        o.SiloPort = siloPort;
        o.GatewayPort = gatewayPort;
        o.SiloListeningEndpoint = new IPEndPoint(options.Listen, siloPort);
        o.GatewayListeningEndpoint = new IPEndPoint(options.Listen, gatewayPort);
    });
    if (options.Storage is { } storage)
        silo.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(storage));
    else
        silo.UseDevelopmentClustering(options.Primary ?? new IPEndPoint(options.Advertise, siloPort));
    KubernetesPod.UseHostingIfInPod(silo);
}

using var host = SiloHosts.Build(model, options.Name, options.Capacity, Clustering, LogLevel.Warning);
var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
// SIGTERM (a rolling update, a scale-down, the parent stopping it) leaves the cluster cleanly. Ctrl-C in a terminal
// reaches the whole process group: with a parent, the parent decides (it stops this silo once its render has stopped).
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; lifetime.StopApplication(); });
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    if (options.ParentPid <= 0) lifetime.StopApplication();
});
try
{
    await host.StartAsync();
}
catch (Exception e) when (e is OrleansException or TimeoutException or IOException or System.Net.Sockets.SocketException or Azure.RequestFailedException)
{
    Console.Error.WriteLine($"ttt-silo: {options.Name} could not join the cluster: {e.Message}");
    return 1;
}
var address = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
// The parent process reads this line to know the silo is an active member.
Console.WriteLine($"ttt-silo {options.Name} joined cluster {options.ClusterId} at {address.Endpoint} (gateway {gatewayPort})");
await host.WaitForShutdownAsync();
return 0;
