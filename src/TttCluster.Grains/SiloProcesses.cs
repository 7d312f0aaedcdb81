using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TttCluster.Grains;

/// <summary>
/// ttt-silo processes started by this process (`ttt render --processes`, `ttt serve --silos N`): each joins the cluster
/// the given arguments name and ends with this process (--parent-pid), even if this process dies without stopping it.
/// Silo names are never reused: a silo that comes back joins as a new member, as Orleans requires (dead is final).
/// </summary>
public sealed class SiloProcesses : IAsyncDisposable
{
    private readonly string _modelPath;
    private readonly IReadOnlyList<string> _clustering;
    private readonly string? _storage;
    private readonly Func<string, bool> _isActive;
    private readonly string _namePrefix;
    private readonly List<(string Name, Process Process)> _silos = new();
    private readonly object _gate = new();
    private int _nextSiloNumber;

    /// <param name="clustering">ttt-silo's arguments that find the cluster (--primary IP:PORT, or --cluster-id ID with storage).</param>
    /// <param name="storage">The storage connection string for Azure Table clustering, or null.</param>
    /// <param name="isActive">Whether the membership holds a silo of that name active (this process's view of it).</param>
    /// <param name="namePrefix">Silo names are this prefix and a number counting up from 0.</param>
    public SiloProcesses(string modelPath, IReadOnlyList<string> clustering, string? storage, Func<string, bool> isActive, string namePrefix = "silo-")
    {
        _modelPath = Path.GetFullPath(modelPath);
        _clustering = clustering;
        _storage = storage;
        _isActive = isActive;
        _namePrefix = namePrefix;
    }

    /// <summary>The ttt-silo program, next to this assembly (it is a project reference of every host).</summary>
    public static string SiloProgram => Path.Combine(AppContext.BaseDirectory, "ttt-silo.dll");

    /// <summary>How to start ttt-silo with <paramref name="arguments"/>, its output redirected (the caller reads or drains it).</summary>
    public static ProcessStartInfo SiloStartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments.Prepend(SiloProgram)) start.ArgumentList.Add(a);
        return start;
    }

    /// <summary>Every silo process started so far, in start order (living or not).</summary>
    public IReadOnlyList<(string Name, Process Process)> All
    {
        get { lock (_gate) return _silos.ToArray(); }
    }

    /// <summary>How many of the silo processes started so far are still running.</summary>
    public int Living
    {
        get { lock (_gate) return _silos.Count(s => !HasExited(s.Process)); }
    }

    public Process ProcessOf(int silo) { lock (_gate) return _silos[silo].Process; }

    /// <summary>
    /// Starts one more silo process and waits until the membership holds it active: placements from then on use it.
    /// Fails (and kills the process) when it exits before joining or takes over a minute.
    /// </summary>
    public async Task<string> AddAsync(CancellationToken cancel)
    {
        if (!File.Exists(SiloProgram)) throw new FileNotFoundException($"the silo program is missing: {SiloProgram}");
        string name;
        lock (_gate) name = $"{_namePrefix}{_nextSiloNumber++}";
        var start = SiloStartInfo(["--name", name, "--model", _modelPath, .. _clustering, "--parent-pid", Environment.ProcessId.ToString()]);
        // The connection string holds the account key: through the environment, not the command line every user can read.
        start.Environment["TTT_STORAGE"] = _storage ?? "";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {SiloProgram}");
        lock (_gate) _silos.Add((name, process));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            // ttt-silo prints one line once it has joined; from then on nobody reads its output, so both pipes are drained.
            string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || !line.Contains(" joined ", StringComparison.Ordinal))
                throw new InvalidOperationException($"silo {name} exited before joining: {line} {await process.StandardError.ReadToEndAsync(cancel)}".Trim());
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
            while (!_isActive(name)) await Task.Delay(20, timeout.Token);   // our view of the table catches up
            return name;
        }
        catch
        {
            KillQuietly(process);
            throw;
        }
    }

    private static void KillQuietly(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // it has gone already
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private const int SIGTERM = 15;

    /// <summary>
    /// Asks every living silo process to leave the cluster (SIGTERM: each stops its silo cleanly, so the membership
    /// table is left with no stale entry) and waits up to <paramref name="grace"/> for them; kills what is left.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Process[] processes;
        lock (_gate) processes = _silos.Select(s => s.Process).Where(p => !HasExited(p)).ToArray();
        if (OperatingSystem.IsWindows()) { await DisposeAsync(); return; }
        foreach (var process in processes) SendSignal(process.Id, SIGTERM);
        using var patience = new CancellationTokenSource(grace);
        try { await Task.WhenAll(processes.Select(p => p.WaitForExitAsync(patience.Token))); }
        catch (OperationCanceledException) { }   // the rest are killed below
        await DisposeAsync();
    }

    private static bool HasExited(Process process)
    {
        try { return process.HasExited; }
        catch (InvalidOperationException) { return true; }
    }

    /// <summary>Kills every silo process (SIGKILL) and waits for each to exit.</summary>
    public async ValueTask DisposeAsync()
    {
        Process[] processes;
        lock (_gate) processes = _silos.Select(s => s.Process).ToArray();
        foreach (var process in processes)
        {
            KillQuietly(process);
            try { await process.WaitForExitAsync(); }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
    }
}
