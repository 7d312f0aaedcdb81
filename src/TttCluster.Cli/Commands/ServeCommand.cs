using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using TttCluster.Gateway;

namespace TttCluster.Cli.Commands;

/// <summary>`ttt serve`: the farm on this machine, its HTTP API and a silo in this process, until Ctrl-C.</summary>
public static class ServeCommand
{
    /// <summary>Where the farm keeps its stories when --data is not given (under the current folder).</summary>
    public const string DefaultDataFolder = "farm-data";

    public static readonly CliCommand Command = new("serve",
        "serve [--port N] [--listen IP] [--data DIR] [--keys FILE] [--concurrent N] [--model FILE]",
        "run the render farm on this machine: the HTTP API (/v1) and a silo, stories kept in a folder",
        $"""
        Stories submitted to the API are stored in the data folder before they are accepted, render on the silo (up to
        --concurrent at once, by priority and fairly between tenants) and their videos stay there. Stop the farm with
        Ctrl-C, or kill it: started again with the same --data it renders every story it had accepted, resuming each
        from its last finished step. Every /v1 call needs "Authorization: Bearer KEY". Keys come from --keys (lines
        "TENANT KEY"); without it the farm makes a random key for tenant "default" on its first start and keeps it in
        DIR/api-keys. The OpenAPI document is at /openapi/v1.json; /healthz and /readyz need no key.
        """,
        [
            new("--port", "N", "the HTTP port, 0 to 65535 (default 8080; 0: any free port)"),
            new("--listen", "IP", "the address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)"),
            new("--data", "DIR", $"where stories, checkpoints and videos are kept (default ./{DefaultDataFolder})"),
            new("--keys", "FILE", "API keys, lines \"TENANT KEY\" (default: a key made on first start, in DIR/api-keys)"),
            new("--concurrent", "N", "stories rendered at once, 1 to 16 (default 2)"),
            StoryLoading.ModelOption,
        ],
        Run);

    private static int Run(CliArguments a, CliContext context)
    {
        a.AtMostPositionals(0, "serve");
        context.Interrupts.CanStop = true;
        int port = a.OptionalInt("--port", 0, 65535) ?? 8080;
        string listenText = a.Optional("--listen") ?? "127.0.0.1";
        if (!IPAddress.TryParse(listenText, out var listen))
            throw new CliException($"--listen: expected an IP address such as 127.0.0.1 or 0.0.0.0, found \"{listenText}\"");
        string data = Path.GetFullPath(a.Optional("--data") ?? DefaultDataFolder);
        string? keysFile = a.Optional("--keys");
        if (keysFile is not null) OutputFiles.CheckReadable("--keys", keysFile, "a file of lines \"TENANT KEY\"");
        int concurrent = a.OptionalInt("--concurrent", 1, 16) ?? 2;
        var model = StoryLoading.LoadModel(a.Optional("--model"));
        try
        {
            Directory.CreateDirectory(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--data: cannot make the folder {data}: {e.Message}");
        }

        var settings = new FarmSettings(listen, port, data, keysFile, concurrent);
        ApiKeys keys;
        try
        {
            keys = ApiKeys.Load(keysFile, settings.GeneratedKeysFile);
        }
        catch (FormatException e)
        {
            throw new CliException($"--keys: {e.Message}");
        }
        var app = FarmServer.Build(settings, model, keys, LogLevel.Warning);
        return Serve(app, settings, keys, context).GetAwaiter().GetResult();
    }

    private static async Task<int> Serve(WebApplication app, FarmSettings settings, ApiKeys keys, CliContext context)
    {
        await app.StartAsync(context.Interrupts.StopRequested);
        string where = string.Join(", ", app.Urls);
        string keysFrom = settings.KeysFile ?? settings.GeneratedKeysFile;
        context.Output.WriteLine($"ttt serve: listening on {where}; data in {settings.DataDirectory}; {keys.Count} API key(s) in {keysFrom}");
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
