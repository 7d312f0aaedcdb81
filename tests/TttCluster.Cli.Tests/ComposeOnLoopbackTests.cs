using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;

namespace TttCluster.Cli.Tests;

/// <summary>
/// docker-compose.yml run without Docker: Azurite, the gateway and the silo replicas start as local processes with the
/// programs, arguments and environment the compose file gives each service, translated only where a container differs
/// from a process on loopback (its own IP, host name, network namespace, mounts and secrets). A story submitted as the
/// compose file's header says renders, and its video downloads. Any argument or variable the translation does not know
/// fails the test, so it keeps proving "the same arguments".
/// </summary>
public partial class ComposeOnLoopbackTests(ITestOutputHelper output)
{
    // Azurite's well-known development account (public, in Microsoft's documentation): the compose default must use it.
    private const string DevAccount = "devstoreaccount1";
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    // Azurite's own default ports: the compose command sets none, so the `azurite` host serves on these.
    private static readonly Dictionary<string, int> AzuriteDefaultPorts = new() { ["Blob"] = 10000, ["Queue"] = 10001, ["Table"] = 10002 };

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly List<Service> _services = [];

    [Fact]
    public async Task ComposeServices_OnLoopback_RenderTheHeadersStory_AndItsVideoDownloads()
    {
        string root = RepositoryRoot();
        var compose = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(Path.Combine(root, "docker-compose.yml")));
        string temp = Directory.CreateTempSubdirectory("ttt-compose-").FullName;
        string bin = AppContext.BaseDirectory;
        var started = Stopwatch.StartNew();
        try
        {
            // Azurite: its hosts (0.0.0.0: every interface of its container) become loopback; its default ports, which
            // every container has to itself, become free ports; its volume /data a temporary folder.
            var azuritePorts = AzuriteDefaultPorts.ToDictionary(p => p.Key, _ => FreePort());
            var azurite = Translate("azurite", Command(compose, "azurite", []),
                translated: new()
                {
                    ["--blobHost"] = v => Expect("azurite", "--blobHost", v, "0.0.0.0", "127.0.0.1"),
                    ["--queueHost"] = v => Expect("azurite", "--queueHost", v, "0.0.0.0", "127.0.0.1"),
                    ["--tableHost"] = v => Expect("azurite", "--tableHost", v, "0.0.0.0", "127.0.0.1"),
                    ["--location"] = v => Expect("azurite", "--location", v, "/data", Directory.CreateDirectory(Path.Combine(temp, "azurite")).FullName),
                },
                unchangedOptions: [], unchangedWords: ["--disableTelemetry", "--skipApiVersionCheck", "--loose"]);
            Assert.Equal("azurite", azurite[0]);
            string azuriteProgram = Path.Combine(root, "tools", "azurite", "node_modules", ".bin", "azurite");
            Assert.True(File.Exists(azuriteProgram), $"Azurite is not installed ({azuriteProgram}): run scripts/install-deps.sh");
            Assert.Empty(EnvironmentOf(compose, "azurite", null));
            StartService("azurite", azuriteProgram, [.. azurite[1..], .. azuritePorts.SelectMany(p => new[] { $"--{p.Key.ToLowerInvariant()}Port", Text(p.Value) })], []);
            foreach (var (kind, port) in azuritePorts) await WaitForPortAsync("azurite", port, kind);

            // TTT_STORAGE's compose default points at the `azurite` service's default ports: here, at this Azurite's.
            string Storage(string connection) => AzuriteOnLoopback(connection, azuritePorts);

            // The gateway: the secret api-keys is mounted at /run/secrets/api-keys; here, a copy of the compose file's
            // secret file. Its published port 8080:8080 and its silo port become free ports.
            // (compose resolves the secret's file against the compose file's folder)
            string keysSource = Path.GetFullPath(Path.Combine(root, ComposeDefault("secrets.api-keys.file", Lookup(compose, "secrets", "api-keys", "file"))));
            string keys = Path.Combine(temp, "api-keys");
            File.Copy(keysSource, keys);
            string key = File.ReadLines(keys).First(l => l.Length > 0 && !l.StartsWith('#')).Split(' ')[1];
            Assert.Contains("api-keys", List(Lookup(compose, "services", "gateway", "secrets")));
            Assert.Contains("8080:8080", List(Lookup(compose, "services", "gateway", "ports")));
            int httpPort = FreePort();
            var gateway = Translate("gateway", Command(compose, "gateway", new() { ["\"$$(container-ip)\""] = "127.0.0.1" }),
                translated: new()
                {
                    ["--port"] = v => Expect("gateway", "--port", v, "8080", Text(httpPort)),
                    ["--data"] = v => Expect("gateway", "--data", v, "/data", Directory.CreateDirectory(Path.Combine(temp, "gateway-data")).FullName),
                    ["--keys"] = v => Expect("gateway", "--keys", v, "/run/secrets/api-keys", keys),
                    ["--silo-port"] = v => Expect("gateway", "--silo-port", v, "11111", Text(FreePort())),
                },
                unchangedOptions: ["--listen", "--advertise", "--capacity"], unchangedWords: ["serve"]);
            Assert.Equal("ttt", gateway[0]);   // docker/ttt in the image: exec dotnet /app/ttt.dll "$@"
            StartService("gateway", "dotnet", [Path.Combine(bin, "ttt.dll"), .. gateway[1..]], EnvironmentOf(compose, "gateway", Storage),
                ReadOnlyRootOf(compose, "gateway"));

            // The silo replicas: each container has its own host name (a unique silo name) and its own ports.
            int replicas = int.Parse(Scalar(Lookup(compose, "services", "silo", "deploy", "replicas")));
            var silos = new List<string>();
            for (int i = 0; i < replicas; i++)
            {
                // Docker's host name for a container: its short id, twelve hex digits.
                string name = Guid.NewGuid().ToString("N")[..12];
                var silo = Translate("silo", Command(compose, "silo", new() { ["\"$$(container-ip)\""] = "127.0.0.1", ["\"$$(cat /etc/hostname)\""] = name }),
                    translated: new()
                    {
                        ["--silo-port"] = v => Expect("silo", "--silo-port", v, "11111", Text(FreePort())),
                        ["--gateway-port"] = v => Expect("silo", "--gateway-port", v, "30000", Text(FreePort())),
                    },
                    unchangedOptions: ["--listen", "--advertise", "--name", "--cluster-id", "--service-id", "--capacity"], unchangedWords: []);
                Assert.Equal("ttt-silo", silo[0]);   // docker/ttt-silo in the image: exec dotnet /app/ttt-silo.dll "$@"
                StartService($"silo {name}", "dotnet", [Path.Combine(bin, "ttt-silo.dll"), .. silo[1..]], EnvironmentOf(compose, "silo", Storage),
                    ReadOnlyRootOf(compose, "silo"));
                silos.Add(name);
            }

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var farm = await WaitUntilReadyAsync(http, silos);
            output.WriteLine($"ready after {started.Elapsed.TotalSeconds:F1} s: {farm}");
            // The gateway only coordinates (--capacity 0); each replica renders (--capacity 1).
            foreach (var silo in farm.EnumerateArray())
            {
                int expected = silo.GetProperty("name").GetString() == "gateway" ? 0 : 1;
                Assert.True(silo.GetProperty("capacity").GetInt32() == expected, $"expected capacity {expected}, found {silo}");
            }

            // The header's own command, pointed at this gateway: `./ttt submit examples/kitchen-chase.yaml --server
            // http://localhost:8080 --key KEY --watch`.
            string[] submit = Header(root).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(submit is ["./ttt", "submit", _, "--server", "http://localhost:8080", "--key", _, "--watch"],
                $"the test does not understand the compose file's header command: {string.Join(' ', submit)}");
            Assert.True(submit[6] == key, $"the header submits with --key {submit[6]}, which is not the key in {keysSource} ({key})");
            string url = $"http://127.0.0.1:{httpPort}";
            using var submitting = TttProcess.Start("submit", Path.Combine(root, submit[2]), "--server", url, "--key", key, "--watch");
            string id = Regex.Match(submitting.WaitForOutput(l => QueuedLine().IsMatch(l)), @"^s_[0-9a-f]{16}").Value;

            // Where the segments render, seen while the story runs (a finished story no longer lists them).
            var renderedOn = new HashSet<string>();
            var until = DateTime.UtcNow + Patience;
            JsonElement story;
            do
            {
                if (DateTime.UtcNow > until) throw new TimeoutException($"story {id} did not end within {Patience}");
                story = JsonDocument.Parse(await http.GetStringAsync($"v1/stories/{id}")).RootElement;
                foreach (var segment in story.GetProperty("segmentProgress").EnumerateArray())
                    if (segment.GetProperty("silo").GetString() is { Length: > 0 } silo) renderedOn.Add(silo);
                AssertServicesRunning();
                await Task.Delay(20);
            } while (story.GetProperty("state").GetString() is not ("done" or "failed" or "cancelled"));
            var watched = submitting.WaitForExit();
            output.WriteLine($"$ ttt submit ... --watch\n{watched.Out}\n{watched.Err}\nsegments rendered on: {string.Join(", ", renderedOn)}");
            Assert.True(watched.Code == 0 && watched.Out.TrimEnd().EndsWith($"{id} done", StringComparison.Ordinal),
                $"ttt submit --watch: expected exit 0 and '{id} done', found exit {watched.Code}:\n{watched.Out}\n{watched.Err}");
            // Every segment on the replicas: the gateway coordinates only.
            Assert.True(renderedOn.Count > 0 && renderedOn.IsSubsetOf(silos), $"expected segments on the silo replicas only ({string.Join(", ", silos)}), saw them on: {string.Join(", ", renderedOn)}");

            string video = Path.Combine(temp, $"{id}.mp4");
            using var download = TttProcess.Start("download", id, "-o", video, "--server", url, "--key", key);
            var downloaded = download.WaitForExit();
            Assert.True(downloaded.Code == 0, $"ttt download: exit {downloaded.Code}:\n{downloaded.Out}\n{downloaded.Err}");
            byte[] mp4 = File.ReadAllBytes(video);
            Assert.True(mp4.Length > 10_000 && Encoding.ASCII.GetString(mp4, 4, 4) == "ftyp", $"expected an MP4 of some size, found {mp4.Length} bytes starting {Convert.ToHexString(mp4.AsSpan(0, Math.Min(16, mp4.Length)))}");
            output.WriteLine($"{video}: {mp4.Length:N0} bytes, {started.Elapsed.TotalSeconds:F1} s after the start");
        }
        finally
        {
            // Stopped as `docker compose down` does: SIGTERM, the silos first, Azurite last; killed when they outstay.
            foreach (var service in Enumerable.Reverse(_services)) service.Stop(TimeSpan.FromSeconds(30));
            foreach (var service in _services) output.WriteLine($"--- {service.Name} (exit {service.ExitCode}):\n{service.Tail()}");
            _readOnlyRoot?.Dispose();
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// A service's command as words. Compose's `sh -c "exec PROGRAM ARGS"` is unwrapped; the shell's command
    /// substitutions only a container can answer are replaced (each must be there); what is left must be plain words, so
    /// that splitting on spaces gives what sh gives.
    /// </summary>
    private static string[] Command(Dictionary<object, object> compose, string service, Dictionary<string, string> substitutions)
    {
        var command = List(Lookup(compose, "services", service, "command"));
        if (command[0] != "sh") return [.. command];
        Assert.True(command.Count == 3 && command[1] == "-c" && command[2].StartsWith("exec ", StringComparison.Ordinal),
            $"{service}: expected [\"sh\", \"-c\", \"exec ...\"], found {string.Join(" | ", command)}");
        string script = command[2]["exec ".Length..];
        foreach (var (from, to) in substitutions)
        {
            Assert.True(script.Contains(from, StringComparison.Ordinal), $"{service}: expected {from} in its command, found: {script}");
            script = script.Replace(from, to, StringComparison.Ordinal);
        }
        string[] words = script.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (string word in words)
            Assert.True(PlainWord().IsMatch(word), $"{service}: the test does not understand the shell word {word} in its command: {script}");
        return words;
    }

    /// <summary>
    /// The command's words after the program: options in <paramref name="translated"/> get the loopback value, those in
    /// <paramref name="unchangedOptions"/> keep theirs, words in <paramref name="unchangedWords"/> pass alone; anything else
    /// fails. Every translated option must be there (else the test would not be translating what it claims).
    /// </summary>
    private static string[] Translate(string service, string[] words, Dictionary<string, Func<string, string>> translated,
        string[] unchangedOptions, string[] unchangedWords)
    {
        var result = new List<string> { words[0] };
        var seen = new HashSet<string>();
        for (int i = 1; i < words.Length; i++)
        {
            string word = words[i];
            bool hasValue = translated.ContainsKey(word) || unchangedOptions.Contains(word);
            Assert.True(hasValue || unchangedWords.Contains(word),
                $"{service}: the compose file gives {word}, which this test neither translates nor knows to pass unchanged");
            Assert.True(seen.Add(word), $"{service}: {word} is given twice");
            result.Add(word);
            if (!hasValue) continue;
            Assert.True(i + 1 < words.Length, $"{service}: {word} has no value");
            string value = words[++i];
            result.Add(translated.TryGetValue(word, out var translate) ? translate(value) : value);
        }
        foreach (string option in translated.Keys)
            Assert.True(seen.Contains(option), $"{service}: the test translates {option}, but the compose file no longer gives it");
        return [.. result];
    }

    /// <summary>A container-only value, replaced: the compose file must still give <paramref name="compose"/>.</summary>
    private static string Expect(string service, string option, string found, string compose, string loopback)
    {
        Assert.True(found == compose, $"{service} {option}: the test translates {compose}, but the compose file gives {found}");
        return loopback;
    }

    /// <summary>
    /// A service's environment: TTT_STORAGE's `${TTT_STORAGE:-DEFAULT}` as compose resolves it with TTT_STORAGE unset,
    /// through <paramref name="storage"/>. Any other variable fails (none is known yet).
    /// </summary>
    private static Dictionary<string, string> EnvironmentOf(Dictionary<object, object> compose, string service, Func<string, string>? storage)
    {
        var definition = (Dictionary<object, object>)Lookup(compose, "services", service);
        if (!definition.TryGetValue("environment", out object? environment)) return [];
        var result = new Dictionary<string, string>();
        foreach (var (name, value) in (Dictionary<object, object>)environment)
        {
            Assert.True((string)name == "TTT_STORAGE" && storage is not null, $"{service}: the compose file sets {name}, which this test neither translates nor knows to pass unchanged");
            result["TTT_STORAGE"] = storage!(ComposeDefault($"{service} TTT_STORAGE", value));
        }
        return result;
    }

    /// <summary>
    /// The compose default connection string, pointed at this test's Azurite: the `azurite` host's default ports become
    /// its free ports; the account must stay Azurite's well-known one; any other part passes unchanged.
    /// </summary>
    private static string AzuriteOnLoopback(string connection, Dictionary<string, int> ports)
    {
        var parts = new List<string>();
        foreach (string part in connection.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = (part[..part.IndexOf('=')], part[(part.IndexOf('=') + 1)..]);
            if (name == "AccountName") Assert.True(value == DevAccount, $"TTT_STORAGE: expected Azurite's account {DevAccount}, found {value}");
            if (name == "AccountKey") Assert.True(value == DevAccountKey, "TTT_STORAGE: expected Azurite's well-known account key");
            if (name.EndsWith("Endpoint", StringComparison.Ordinal))
            {
                string kind = name[..^"Endpoint".Length];
                var endpoint = new Uri(value);
                Assert.True(endpoint.Host == "azurite" && AzuriteDefaultPorts.GetValueOrDefault(kind) == endpoint.Port,
                    $"TTT_STORAGE {name}: expected the azurite service's default {kind} port, found {value}");
                value = $"http://127.0.0.1:{ports[kind]}{endpoint.AbsolutePath}";
            }
            else Assert.True(name is "DefaultEndpointsProtocol" or "AccountName" or "AccountKey", $"TTT_STORAGE: the test does not know {name}");
            parts.Add($"{name}={value}");
        }
        return string.Join(';', parts) + ";";
    }

    /// <summary>`${NAME:-DEFAULT}` as compose resolves it when NAME is unset: DEFAULT.</summary>
    private static string ComposeDefault(string what, object value)
    {
        var match = Regex.Match(Scalar(value), @"^\$\{[A-Z_]+:-([^$]*)\}$");
        Assert.True(match.Success, $"{what}: expected ${{NAME:-DEFAULT}}, found {value}");
        return match.Groups[1].Value;
    }

    /// <summary>The header's `./ttt submit ...` line, the command the compose file tells its users to run.</summary>
    private static string Header(string root) =>
        File.ReadLines(Path.Combine(root, "docker-compose.yml")).Select(l => Regex.Match(l, @"^#\s+(\./ttt submit .*)$"))
            .FirstOrDefault(m => m.Success)?.Groups[1].Value ?? throw new Xunit.Sdk.XunitException("docker-compose.yml: no `./ttt submit` line in its header");

    private async Task<JsonElement> WaitUntilReadyAsync(HttpClient http, List<string> replicas)
    {
        var until = DateTime.UtcNow + Patience;
        string last = "no answer";
        while (DateTime.UtcNow < until)
        {
            AssertServicesRunning();
            try
            {
                var ready = await http.GetAsync("readyz");
                var silos = JsonDocument.Parse(await http.GetStringAsync("v1/silos")).RootElement.GetProperty("silos");
                last = $"/readyz {(int)ready.StatusCode}, /v1/silos {silos}";
                var active = silos.EnumerateArray().Where(s => s.GetProperty("status").GetString() == "active").Select(s => s.GetProperty("name").GetString()).ToHashSet();
                if (ready.StatusCode == HttpStatusCode.OK && active.IsSupersetOf([.. replicas, "gateway"])) return silos.Clone();
            }
            catch (HttpRequestException e) { last = e.Message; }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the farm was not ready (the gateway and {string.Join(", ", replicas)} active) after {Patience}: {last}");
    }

    private void AssertServicesRunning()
    {
        foreach (var service in _services)
            Assert.False(service.HasExited, $"{service.Name} exited with code {service.ExitCode}; its output:\n{service.Tail()}");
    }

    /// <summary>
    /// A folder nothing can be written in, for the services compose runs with a read-only root: their working folder and
    /// home (as /app and the user's home are in the image), so a program that wrote beside itself or to ~ would fail here
    /// as it would in the container. Made on first use; gone with the test.
    /// </summary>
    private ReadOnlyFolder? _readOnlyRoot;

    private ReadOnlyFolder? ReadOnlyRootOf(Dictionary<object, object> compose, string service)
    {
        var services = (Dictionary<object, object>)compose["services"];
        bool readOnly = ((Dictionary<object, object>)services[service]).TryGetValue("read_only", out var value) && value is "true";
        Assert.True(readOnly, $"{service}: expected read_only: true in the compose file (the image runs with a read-only root)");
        return _readOnlyRoot ??= ReadOnlyFolder.Create();
    }

    private void StartService(string name, string program, string[] args, Dictionary<string, string> environment, ReadOnlyFolder? readOnlyRoot = null)
    {
        if (readOnlyRoot is not null) environment = new(environment) { ["HOME"] = readOnlyRoot.Path };
        output.WriteLine($"{name}: {program} {string.Join(' ', args)}{string.Concat(environment.Keys.Select(k => $" (and {k})"))}" +
            (readOnlyRoot is null ? "" : $" in {readOnlyRoot.Path} ({readOnlyRoot.Reason})"));
        _services.Add(Service.Start(name, program, args, environment, readOnlyRoot?.Path));
    }

    private async Task WaitForPortAsync(string service, int port, string what)
    {
        var until = DateTime.UtcNow + Patience;
        while (true)
        {
            AssertServicesRunning();
            try { using var probe = new TcpClient(); await probe.ConnectAsync(IPAddress.Loopback, port); return; }
            catch (SocketException) when (DateTime.UtcNow < until) { await Task.Delay(100); }
            catch (SocketException) { throw new TimeoutException($"{service}: its {what} port {port} did not accept connections within {Patience}"); }
        }
    }

    private static object Lookup(Dictionary<object, object> root, params string[] path)
    {
        object node = root;
        foreach (string key in path)
            node = node is Dictionary<object, object> map && map.TryGetValue(key, out object? next) && next is not null ? next
                : throw new Xunit.Sdk.XunitException($"docker-compose.yml: no {string.Join('.', path)}");
        return node;
    }

    private static List<string> List(object node) => ((List<object>)node).Select(Scalar).ToList();

    private static string Scalar(object node) => node as string ?? throw new Xunit.Sdk.XunitException($"docker-compose.yml: expected text, found {node}");

    private static string Text(int number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Port 0 lets the system pick; released for the service right away (a small race, as in AzuriteProcess).
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "docker-compose.yml"))) return folder.FullName;
        throw new InvalidOperationException($"no docker-compose.yml in {AppContext.BaseDirectory} or above");
    }

    [GeneratedRegex(@"^s_[0-9a-f]{16} queued: ")]
    private static partial Regex QueuedLine();

    // What sh passes through as one word unchanged: no quotes, expansions, globs or operators.
    [GeneratedRegex(@"^[A-Za-z0-9_./:=,@+-]+$")]
    private static partial Regex PlainWord();

    /// <summary>One service as a local process: its output kept for failure messages, stopped as Docker stops a container.</summary>
    private sealed partial class Service(string name, Process process)
    {
        private readonly StringBuilder _log = new();

        public string Name => name;
        public bool HasExited => process.HasExited;
        public string ExitCode => process.HasExited ? Text(process.ExitCode) : "none: running";

        public static Service Start(string name, string program, string[] args, Dictionary<string, string> environment, string? workingDirectory)
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
            foreach (string arg in args) start.ArgumentList.Add(arg);
            foreach (var (variable, value) in environment) start.Environment[variable] = value;
            var started = Process.Start(start)!;
            var service = new Service(name, started);
            started.OutputDataReceived += (_, e) => service.Append(e.Data);
            started.ErrorDataReceived += (_, e) => service.Append(e.Data);
            started.BeginOutputReadLine();
            started.BeginErrorReadLine();
            return service;
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_log) _log.AppendLine(line);
        }

        /// <summary>The last lines of its output.</summary>
        public string Tail()
        {
            lock (_log) return _log.Length <= 6000 ? _log.ToString() : "...\n" + _log.ToString(_log.Length - 6000, 6000);
        }

        /// <summary>SIGTERM, then SIGKILL for the whole tree if it has not gone within <paramref name="grace"/>.</summary>
        public void Stop(TimeSpan grace)
        {
            if (!process.HasExited && Kill(process.Id, SigTerm) == 0 && process.WaitForExit(grace))
            {
                process.WaitForExit();
                return;
            }
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        private const int SigTerm = 15;

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static partial int Kill(int pid, int signal);
    }
}
