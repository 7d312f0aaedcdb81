using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TttCluster.Storage.Tests;

/// <summary>
/// A real Azurite (the Azure Storage emulator, installed under tools/azurite by scripts/install-deps.sh) serving Blob and
/// Table storage on free loopback ports, with its data in a fresh temporary folder; on dispose the process tree is killed
/// and the folder deleted. Tests talk to it over HTTP exactly as the farm talks to a storage account.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    // Azurite's well-known development account and key (public: they are in Microsoft's documentation).
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process process;
    private readonly string folder;
    private readonly StringBuilder output = new();

    private AzuriteProcess(Process process, string folder, int blobPort, int tablePort)
    {
        this.process = process;
        this.folder = folder;
        BlobPort = blobPort;
        TablePort = tablePort;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};"
            + $"BlobEndpoint=http://127.0.0.1:{blobPort}/{Account};TableEndpoint=http://127.0.0.1:{tablePort}/{Account};";
    }

    /// <summary>A connection string for the emulator's Blob and Table endpoints.</summary>
    public string ConnectionString { get; }

    public int BlobPort { get; }

    public int TablePort { get; }

    /// <summary>Starts Azurite and returns once both its Blob and its Table port accept connections.</summary>
    public static async Task<AzuriteProcess> StartAsync()
    {
        string script = Path.Combine(RepositoryRoot(), "tools", "azurite", "node_modules", ".bin", "azurite");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run scripts/install-deps.sh");
        }

        string folder = Directory.CreateTempSubdirectory("ttt-storage-azurite-").FullName;
        int blobPort = FreePort(), tablePort = FreePort(), queuePort = FreePort();

        // The queue service is not used but always starts with the combined binary: it gets a free port too, so that
        // two test runs (or another emulator on 10001) do not collide.
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
                 {
                     script, "--blobHost", "127.0.0.1", "--blobPort", Text(blobPort), "--tableHost", "127.0.0.1",
                     "--tablePort", Text(tablePort), "--queueHost", "127.0.0.1", "--queuePort", Text(queuePort),
                     "--location", folder, "--silent", "--disableTelemetry", "--skipApiVersionCheck",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch
        {
            Directory.Delete(folder, recursive: true); // node is missing, say: leave no empty folder behind
            throw;
        }

        var azurite = new AzuriteProcess(process, folder, blobPort, tablePort);
        try
        {
            await azurite.WaitUntilServingAsync(blobPort, tablePort);
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilServingAsync(params int[] ports)
    {
        // Kept for the error message: with --silent Azurite still prints why it could not start (a port in use, say).
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        DateTime until = DateTime.UtcNow + StartTimeout;
        foreach (int port in ports)
        {
            while (!await AcceptsAsync(port))
            {
                if (process.HasExited || DateTime.UtcNow > until)
                {
                    string state = process.HasExited ? $"exited with code {process.ExitCode}" : $"not serving after {StartTimeout}";
                    throw new InvalidOperationException($"Azurite {state} (port {port}); its output: {Output()}");
                }

                await Task.Delay(100);
            }
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var probe = new TcpClient();
            await probe.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (output)
        {
            return output.Length == 0 ? "(none)" : output.ToString();
        }
    }

    // Port 0 lets the system pick a free port; it is released for Azurite right away (a small race, but an unlikely one).
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TttCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No TttCluster.sln in {AppContext.BaseDirectory} or any folder above it.");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // The whole tree: node may have started children, and a survivor would keep the ports and the folder busy.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // It had already gone.
        }

        process.Dispose();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing a test for.
        }
    }
}
