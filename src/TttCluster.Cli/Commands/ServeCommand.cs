using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TttCluster.Gateway;
using TttCluster.Grains;

namespace TttCluster.Cli.Commands;

/// <summary>`ttt serve`: the farm on this machine, its HTTP API and a silo in this process, until Ctrl-C.</summary>
public static class ServeCommand
{
    /// <summary>Where the farm keeps its stories when --data is not given (under the current folder).</summary>
    public const string DefaultDataFolder = "farm-data";

    public static readonly CliCommand Command = new("serve",
        "serve [--port N] [--listen IP] [--data DIR | --storage CONNSTR] [--keys FILE] [--concurrent N] [--silos N] [--capacity N] [--silo-port P] [--advertise IP] [--previews on|off] [--model FILE]",
        "run the render farm: the HTTP API (/v1) and a silo, stories kept in a folder or in Azure Storage",
        $"""
        Stories submitted to the API are stored in the data folder before they are accepted, render on the silo (up to
        --concurrent at once, by priority and fairly between tenants) and their videos stay there. Stop the farm with
        Ctrl-C, or kill it: started again with the same --data it renders every story it had accepted, resuming each
        from its last finished step. Every /v1 call needs "Authorization: Bearer KEY". Keys come from --keys (lines
        "TENANT KEY"); without it the farm makes a random key for tenant "default" on its first start and keeps it in
        DIR/api-keys. The dashboard is at / (sign in with a key), Orleans' own at /orleans (from this machine only); the
        OpenAPI document is at /openapi/v1.json; /healthz and /readyz need no key.
        With --storage (or TTT_STORAGE, which keeps the account key off the command line) story records go to the
        account's tables, checkpoints and videos to its blobs (container "{FarmSettings.BlobContainer}"), and the cluster's
        membership to its tables: ttt-silo processes join with the same storage. Without it, ttt-silo processes on this
        machine join with --primary 127.0.0.1:PORT, the silo port printed at start (fixed with --silo-port).
        """,
        [
            new("--port", "N", "the HTTP port, 0 to 65535 (default 8080; 0: any free port)"),
            new("--listen", "IP", "the address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)"),
            new("--data", "DIR", $"where stories, checkpoints and videos are kept (default ./{DefaultDataFolder}; with --storage: keys and scratch only)"),
            new("--keys", "FILE", "API keys, lines \"TENANT KEY\" (default: a key made on first start, in DIR/api-keys)"),
            new("--storage", "CONNSTR", "an Azure Storage connection string (Azurite locally) instead of the folder; also TTT_STORAGE"),
            new("--concurrent", "N", "stories rendered at once, 1 to 16 (default 2)"),
            new("--silos", "N", "silo processes to start, 0 to 64, restarted when one dies; with any, this process only coordinates (default 0)"),
            new("--capacity", "N", "this process's share of the segments, 0 to 1024; 0: it only coordinates, silos elsewhere render (default 1; 0 with --silos)"),
            new("--silo-port", "P", "this process's silo port, for ttt-silo --primary (default: a free port)"),
            new("--advertise", "IP", "the address silos on other machines reach this one at (then it listens on every interface); also POD_IP"),
            new("--previews", "on|off", "per-step preview images in the dashboard (default: on for models with small frames, such as Tiny)"),
            StoryLoading.ModelOption,
        ],
        Run);

    private static int Run(CliArguments a, CliContext context)
    {
        a.AtMostPositionals(0, "serve");
        context.Interrupts.CanStop = true;
        // A farm in a container is stopped by SIGTERM: its silo leaves the cluster and its silo processes are told to.
        context.Interrupts.StopsOnTerm = true;
        int port = a.OptionalInt("--port", 0, 65535) ?? 8080;
        string listenText = a.Optional("--listen") ?? "127.0.0.1";
        if (!IPAddress.TryParse(listenText, out var listen))
            throw new CliException($"--listen: expected an IP address such as 127.0.0.1 or 0.0.0.0, found \"{listenText}\"");
        string data = Path.GetFullPath(a.Optional("--data") ?? DefaultDataFolder);
        string? keysFile = a.Optional("--keys");
        if (keysFile is not null) OutputFiles.CheckReadable("--keys", keysFile, "a file of lines \"TENANT KEY\"");
        int concurrent = a.OptionalInt("--concurrent", 1, 16) ?? 2;
        int siloProcesses = a.OptionalInt("--silos", 0, 64) ?? 0;
        int siloPort = a.OptionalInt("--silo-port", 0, 65535) ?? 0;
        int? capacity = a.OptionalInt("--capacity", 0, 1024);
        string? storage = a.Optional("--storage") ?? Environment.GetEnvironmentVariable("TTT_STORAGE");
        if (string.IsNullOrWhiteSpace(storage)) storage = null;
        if (storage is not null && SiloHosts.StorageConnectionProblem(storage) is { } problem)
            throw new CliException($"--storage: expected an Azure Storage connection string (\"UseDevelopmentStorage=true\" for Azurite), but it {problem}");
        string? advertiseText = a.Optional("--advertise") ?? Environment.GetEnvironmentVariable("POD_IP");
        IPAddress? advertise = null;
        if (!string.IsNullOrEmpty(advertiseText) && !IPAddress.TryParse(advertiseText, out advertise))
            throw new CliException($"--advertise: expected an IP address such as 10.0.0.5, found \"{advertiseText}\"");
        bool? previews = a.Optional("--previews") switch
        {
            null => null,
            "on" => true,
            "off" => false,
            var other => throw new CliException($"--previews: expected on or off, found \"{other}\""),
        };
        string? modelOption = a.Optional("--model");
        var model = StoryLoading.LoadModel(modelOption);
        string modelPath = Path.GetFullPath(modelOption ?? StoryLoading.DefaultModelPath);
        try
        {
            Directory.CreateDirectory(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--data: cannot make the folder {data}: {e.Message}");
        }

        var settings = new FarmSettings(listen, port, data, keysFile, concurrent, storage, siloProcesses, siloPort, modelPath, previews, advertise, capacity);
        ApiKeys keys;
        try
        {
            keys = ApiKeys.Load(keysFile, settings.GeneratedKeysFile);
        }
        catch (FormatException e)
        {
            throw new CliException($"--keys: {e.Message}");
        }
        WebApplication app;
        try
        {
            app = FarmServer.Build(settings, model, keys, LogLevel.Warning);
        }
        catch (Azure.RequestFailedException e)
        {
            throw new CliException($"--storage: the storage account does not answer as expected: {e.Message}");
        }
        return Serve(app, settings, keys, context).GetAwaiter().GetResult();
    }

    private static async Task<int> Serve(WebApplication app, FarmSettings settings, ApiKeys keys, CliContext context)
    {
        try
        {
            await app.StartAsync(context.Interrupts.StopRequested);
        }
        catch (Exception e) when (SiloHosts.IsStartStopped(e, context.Interrupts.StopRequested))
        {
            // Ctrl-C while the co-hosted silo was still starting.
            await app.DisposeAsync();
            context.Output.WriteLine("ttt serve: stopped before it was listening");
            return 130;
        }
        string where = string.Join(", ", app.Urls);
        string keysFrom = settings.KeysFile ?? settings.GeneratedKeysFile;
        string storedIn = settings.Storage is null ? $"data in {settings.DataDirectory}" : $"stories in Azure Storage (container {FarmSettings.BlobContainer})";
        context.Output.WriteLine($"ttt serve: listening on {where}; {storedIn}; {keys.Count} API key(s) in {keysFrom}");
        context.Output.WriteLine($"ttt serve: dashboard at {app.Urls.First().TrimEnd('/')}/ (sign in with an API key)");
        var silos = app.Services.GetRequiredService<FarmSilos>();
        context.Output.WriteLine($"ttt serve: silos join with: ttt-silo {string.Join(' ', silos.JoinArguments)}{(settings.Storage is null ? "" : " (and TTT_STORAGE)")}");
        context.Output.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, context.Interrupts.StopRequested);
        }
        catch (OperationCanceledException)
        {
        }
        // Stories rendering now stay "rendering" with their checkpoints: the next start resumes them.
        await app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        await app.DisposeAsync();
        context.Output.WriteLine("ttt serve: stopped");
        return 0;
    }
}
