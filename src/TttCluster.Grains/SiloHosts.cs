using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using TttCluster.Model;

namespace TttCluster.Grains;

/// <summary>Builds an Orleans silo on the generic host, configured for the farm (<see cref="SiloSetup"/>).</summary>
public static class SiloHosts
{
    /// <param name="clustering">How the silo finds the cluster: development clustering with a primary silo, or Azure Table storage.</param>
    /// <param name="logLevel">Orleans' own log lines from this level up go to stderr (the CLI keeps them quiet; ttt-silo shows warnings).</param>
    /// <remarks>
    /// The host never handles the process's signals itself (the generic host's console lifetime would stop the silo on
    /// Ctrl-C): the CLI turns Ctrl-C into a clean stop of the render, and ttt-silo decides for itself.
    /// </remarks>
    public static IHost Build(ModelBundle model, string name, int capacity, Action<ISiloBuilder> clustering, LogLevel logLevel = LogLevel.None)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, NoSignalsLifetime>();
        builder.Logging.ClearProviders();
        if (logLevel != LogLevel.None)
        {
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(logLevel);
        }
        builder.UseOrleans(silo =>
        {
            clustering(silo);
            SiloSetup.Configure(silo, model, name, capacity);
        });
        return builder.Build();
    }

    /// <summary>Development clustering on loopback: <paramref name="primary"/> holds the membership table (in memory).</summary>
    public static Action<ISiloBuilder> Loopback(int siloPort, int gatewayPort, IPEndPoint primary) => silo =>
        silo.UseLocalhostClustering(siloPort, gatewayPort, primary, SiloSetup.DefaultServiceId, SiloSetup.DefaultClusterId);

    /// <summary>
    /// Azure Table clustering (Orleans' membership table in the storage account <paramref name="connectionString"/> names:
    /// Azurite locally), this silo at the given ports: on loopback, or reached by other machines at <paramref name="advertise"/>
    /// (then it listens on every interface).
    /// </summary>
    public static Action<ISiloBuilder> AzureTable(string connectionString, string clusterId, int siloPort, int gatewayPort, IPAddress? advertise = null) => silo =>
    {
        silo.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = SiloSetup.DefaultServiceId; });
        Endpoints(silo, advertise, siloPort, gatewayPort);
        silo.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(connectionString));
    };

    /// <summary>
    /// Development clustering with this silo as the primary (the membership in its memory): on loopback, or reached by
    /// ttt-silo processes on other machines at <paramref name="advertise"/> (then it listens on every interface).
    /// </summary>
    public static Action<ISiloBuilder> Primary(int siloPort, int gatewayPort, IPAddress? advertise = null) => silo =>
    {
        silo.Configure<ClusterOptions>(o => { o.ClusterId = SiloSetup.DefaultClusterId; o.ServiceId = SiloSetup.DefaultServiceId; });
        Endpoints(silo, advertise, siloPort, gatewayPort);
        silo.UseDevelopmentClustering(new IPEndPoint(advertise ?? IPAddress.Loopback, siloPort));
    };

    private static void Endpoints(ISiloBuilder silo, IPAddress? advertise, int siloPort, int gatewayPort) =>
        silo.ConfigureEndpoints(advertise ?? IPAddress.Loopback, siloPort, gatewayPort, listenOnAnyHostAddress: advertise is not null && !IPAddress.IsLoopback(advertise));

    /// <summary>What is wrong with a storage connection string, in words (null: nothing); the string itself is never repeated (it holds a key).</summary>
    public static string? StorageConnectionProblem(string connectionString)
    {
        try
        {
            _ = new Azure.Data.Tables.TableServiceClient(connectionString);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            return $"does not parse ({e.Message.TrimEnd('.')})";
        }
    }

    /// <summary>
    /// Starts a silo host; a start stopped by <paramref name="cancel"/> ends in an OperationCanceledException, whichever
    /// way Orleans noticed (<see cref="IsStartStopped"/>).
    /// </summary>
    public static async Task StartAsync(IHost host, CancellationToken cancel)
    {
        try
        {
            await host.StartAsync(cancel);
        }
        catch (Orleans.Runtime.OrleansLifecycleCanceledException e) when (IsStartStopped(e, cancel))
        {
            throw new OperationCanceledException($"the silo's start was stopped: {e.Message}", e, cancel);
        }
    }

    /// <summary>
    /// Whether <paramref name="e"/>, thrown by a host's start, means <paramref name="cancel"/> stopped it: inside a
    /// lifecycle stage Orleans throws an OperationCanceledException, between two stages its own
    /// OrleansLifecycleCanceledException (a CI run met it).
    /// </summary>
    public static bool IsStartStopped(Exception e, CancellationToken cancel) =>
        cancel.IsCancellationRequested
        && e is OperationCanceledException or Orleans.Runtime.OrleansLifecycleCanceledException;

    /// <summary>
    /// Stops a silo's host and disposes it, whatever state it reached: a start cancelled half-way leaves a silo that
    /// refuses to stop (it never ran), which is no failure here.
    /// </summary>
    public static async Task StopAndDisposeAsync(IHost host, TimeSpan timeout)
    {
        try { await host.StopAsync(timeout); }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException) { }
        host.Dispose();
    }

    /// <summary>A TCP port that is free on loopback now (the silo binds it a moment later).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A host lifetime that leaves the process's signals alone: whoever owns the host stops it.</summary>
public sealed class NoSignalsLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
