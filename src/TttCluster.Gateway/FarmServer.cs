using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Dashboard;
using TttCluster.Grains;
using TttCluster.Grains.Farm;
using TttCluster.Model;
using TttCluster.Storage;

namespace TttCluster.Gateway;

/// <summary>
/// `ttt serve`: the farm on one machine in one process: the HTTP API (ASP.NET Core) and an Orleans silo that renders
/// (or, with silo processes, only coordinates); story records in grain storage and checkpoints, videos and latents as
/// blobs, both in the data folder or both in Azure Storage, so that a restart with the same folder or storage carries on
/// with every story it had accepted. Clustering: with a folder, development clustering with this silo as the primary on
/// loopback; with storage, Orleans' membership table in the same account.
/// </summary>
public static class FarmServer
{
    /// <summary>The name of the farm's own silo in the membership.</summary>
    public const string SiloName = "gateway";

    public static WebApplication Build(FarmSettings settings, ModelBundle model, ApiKeys keys, LogLevel logLevel = LogLevel.Warning)
    {
        Directory.CreateDirectory(settings.GrainsDirectory);
        Directory.CreateDirectory(settings.BlobsDirectory);
        // Scratch holds half-encoded videos only: whatever a killed farm left there is garbage.
        if (Directory.Exists(settings.ScratchDirectory)) Directory.Delete(settings.ScratchDirectory, recursive: true);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "ttt-serve" });
        builder.Logging.ClearProviders();
        if (logLevel != LogLevel.None)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(logLevel);
        }
        // The farm's owner (the CLI) stops it on Ctrl-C; the host leaves the process's signals alone.
        builder.Services.AddSingleton<IHostLifetime, NoSignalsLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(settings.Listen, settings.Port);
            kestrel.AddServerHeader = false;
            // Stories are small; nothing else is uploaded. The API counts a story's bytes itself (413 past the limit);
            // this cuts off anything far larger before it is read (Kestrel counts chunked framing too, hence the margin).
            kestrel.Limits.MaxRequestBodySize = 4L * FarmSettings.MaxStoryBytes;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();

        IBlobStore blobs = settings.Storage is null ? new FolderBlobStore(settings.BlobsDirectory)
            : AzureBlobStore.CreateAsync(settings.Storage, FarmSettings.BlobContainer).GetAwaiter().GetResult();
        builder.Services.AddSingleton(settings).AddSingleton(model).AddSingleton(keys).AddSingleton(blobs);
        builder.Services.AddSingleton<StoryEvents>();
        builder.Services.AddSingleton<StoryScheduler>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StoryScheduler>());
        builder.Services.AddSingleton<SiloUsage>();
        builder.Services.AddSingleton<StoryPreviews>();
        builder.Services.AddSingleton<FarmSilos>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FarmSilos>());

        int siloPort = settings.SiloPort == 0 ? SiloHosts.FreePort() : settings.SiloPort, gatewayPort = SiloHosts.FreePort();
        builder.UseOrleans(silo =>
        {
            if (settings.Storage is null)
                SiloHosts.Primary(siloPort, gatewayPort, settings.Advertise)(silo);
            else
                SiloHosts.AzureTable(settings.Storage, SiloSetup.DefaultClusterId, siloPort, gatewayPort, settings.Advertise)(silo);
            // With silo processes to render, this process coordinates, decodes and encodes, and answers the API.
            SiloSetup.Configure(silo, model, KubernetesPod.Name ?? SiloName, capacity: settings.SiloCapacity,
                checkpoints: _ => new BlobCheckpointStore(blobs));
            KubernetesPod.UseHostingIfInPod(silo);
            // Orleans' dashboard (served at /orleans) on the farm's own silo only. On every silo it cost renders 10-15%
            // (`ttt bench --only cluster`: 3 in-process silos +15% with it, +0.1% without, same machine, same hour).
            silo.AddDashboard();
            if (settings.Storage is null) silo.AddFolderGrainStorage(FarmStorage.Name, settings.GrainsDirectory);
            else silo.AddAzureFarmGrainStorage(FarmStorage.Name, settings.Storage);
        });

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        DashboardSite.Map(app);
        StoryApi.Map(app);
        return app;
    }
}
