using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TttCluster.Cli.Tests;

/// <summary>
/// The real `ttt` program in a child process, its output read line by line, and signals sent to it as a terminal's
/// Ctrl-C would. It starts through `env --default-signal=INT`: a test host started in the background (CI) ignores
/// SIGINT, and a child would inherit that.
/// </summary>
internal sealed partial class TttProcess : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly BlockingCollection<string> _stdout = new(), _stderr = new();
    private readonly List<string> _stdoutSeen = [], _stderrSeen = [];

    private TttProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is null) _stdout.CompleteAdding(); else _stdout.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is null) _stderr.CompleteAdding(); else _stderr.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>
    /// The program under test: the ttt.dll built beside the tests, or the one TTT_CLI_UNDER_TEST names (to run these
    /// tests against another build, e.g. to see them fail on the code before a fix).
    /// </summary>
    private static string Program => Environment.GetEnvironmentVariable("TTT_CLI_UNDER_TEST") is { Length: > 0 } other
        ? other : Path.Combine(AppContext.BaseDirectory, "ttt.dll");

    public static TttProcess Start(params string[] args) => StartWithEnvironment(new Dictionary<string, string?>(), args);

    /// <summary>Starts ttt with <paramref name="environment"/> changed: each variable set, or removed where its value is null.</summary>
    public static TttProcess StartWithEnvironment(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        foreach (string word in new[] { "--default-signal=INT", "dotnet", Program }.Concat(args))
            start.ArgumentList.Add(word);
        return new TttProcess(Process.Start(start)!);
    }

    /// <summary>Waits for a stdout line that satisfies <paramref name="match"/> and returns it.</summary>
    public string WaitForOutput(Func<string, bool> match) => WaitFor(_stdout, _stdoutSeen, match, "stdout");

    /// <summary>Waits for a stderr line that satisfies <paramref name="match"/> and returns it.</summary>
    public string WaitForError(Func<string, bool> match) => WaitFor(_stderr, _stderrSeen, match, "stderr");

    private string WaitFor(BlockingCollection<string> lines, List<string> seen, Func<string, bool> match, string stream)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (!lines.TryTake(out string? line, TimeSpan.FromMilliseconds(100)))
            {
                if (lines.IsCompleted) break;
                continue;
            }
            lock (seen) seen.Add(line);
            if (match(line)) return line;
        }
        throw new TimeoutException($"no matching line on {stream}; it printed:\n{string.Join('\n', seen)}\nstderr:\n{string.Join('\n', _stderrSeen.Concat(_stderr))}");
    }

    /// <summary>The process's id (`env` executes dotnet in its own place, so this is the program's id).</summary>
    public int Id => _process.Id;

    /// <summary>What a terminal's Ctrl-C sends. Returns false when the process had already exited and been reaped.</summary>
    public bool Interrupt()
    {
        if (Kill(_process.Id, Sigint) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == NoSuchProcess ? false : throw new InvalidOperationException($"kill(SIGINT) failed: errno {errno}");
    }

    /// <summary>What a container runtime or Kubernetes sends to stop the process. Returns false when it had already exited.</summary>
    public bool Terminate()
    {
        if (Kill(_process.Id, Sigterm) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == NoSuchProcess ? false : throw new InvalidOperationException($"kill(SIGTERM) failed: errno {errno}");
    }

    private const int NoSuchProcess = 3;   // ESRCH

    /// <summary>Waits for the exit; returns the exit code (128 + signal when a signal ended it) and all output.</summary>
    public (int Code, string Out, string Err) WaitForExit()
    {
        if (!_process.WaitForExit(Patience)) throw new TimeoutException("ttt did not exit");
        _process.WaitForExit();   // the output readers are done too
        lock (_stdoutSeen) _stdoutSeen.AddRange(_stdout);
        lock (_stderrSeen) _stderrSeen.AddRange(_stderr);
        return (_process.ExitCode, string.Join('\n', _stdoutSeen), string.Join('\n', _stderrSeen));
    }

    /// <summary>SIGKILL: the process gets no chance to do anything more (a crash, an OOM kill, a pulled plug).</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private const int Sigint = 2, Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
