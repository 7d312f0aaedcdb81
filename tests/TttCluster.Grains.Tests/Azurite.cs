using System.Diagnostics;
using System.Net.Sockets;

namespace TttCluster.Grains.Tests;

/// <summary>
/// A real Azurite (the Azure Storage emulator, tools/azurite, installed by scripts/install-deps.sh) serving Table storage
/// on a free loopback port, with its data in a temporary folder; stopped and deleted on dispose.
/// </summary>
internal sealed class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public: it is in Microsoft's documentation).</summary>
    private const string Account = "devstoreaccount1",
        Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _folder;

    public string ConnectionString { get; }

    private Azurite(Process process, string folder, int tablePort)
    {
        _process = process;
        _folder = folder;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};TableEndpoint=http://127.0.0.1:{tablePort}/{Account};";
    }

    public static async Task<Azurite> StartAsync()
    {
        string script = Path.Combine(RepositoryRoot(), "tools", "azurite", "node_modules", ".bin", "azurite-table");
        if (!File.Exists(script)) throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run scripts/install-deps.sh");
        string folder = Directory.CreateTempSubdirectory("ttt-azurite-").FullName;
        int port = SiloHosts.FreePort();
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { script, "--tableHost", "127.0.0.1", "--tablePort", port.ToString(), "--location", folder, "--silent",
                     "--disableTelemetry", "--skipApiVersionCheck" })
            start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var azurite = new Azurite(process, folder, port);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return azurite;
            }
            catch (SocketException) when (DateTime.UtcNow < until && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch
            {
                await azurite.DisposeAsync();
                throw;
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TttCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no TttCluster.sln above {AppContext.BaseDirectory}");
    }

    public async ValueTask DisposeAsync()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
