using System.Runtime.InteropServices;
using TttCluster.Files;

namespace TttCluster.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM for the whole process, installed before anything else runs so that no signal finds the
/// process without a handler. While a command can stop cleanly (a render: <see cref="CanStop"/>), the first Ctrl-C
/// asks it to stop at the next phase boundary (<see cref="StopRequested"/>) and the command says what it kept. A
/// second Ctrl-C, a Ctrl-C when nothing can stop cleanly, or SIGTERM quits at once: every half-written file is
/// deleted first (<see cref="PartialFiles.AbandonAll"/>), then the signal ends the process as it would have.
/// </summary>
public sealed class Interrupts : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TextWriter _error;
    private readonly PartialFiles _files;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _presses;

    /// <param name="error">Where the handler says what it does.</param>
    /// <param name="files">The files to abandon when quitting (the process's own; tests pass theirs).</param>
    public Interrupts(TextWriter error, PartialFiles files)
    {
        _error = error;
        _files = files;
    }

    /// <summary>Handles SIGINT and SIGTERM from now on.</summary>
    public static Interrupts ForThisProcess(TextWriter error)
    {
        var interrupts = new Interrupts(error, PartialFiles.Process);
        // Returning with Cancel false lets the runtime carry out the signal's default action: the process ends by it.
        // The handlers run on the runtime's signal thread, where an exception would crash the process: nothing they call throws.
        interrupts._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = !interrupts.Interrupt()));
        interrupts._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = !interrupts.Terminate()));
        return interrupts;
    }

    /// <summary>Set while the running command stops cleanly on <see cref="StopRequested"/>.</summary>
    public bool CanStop { get; set; }

    /// <summary>
    /// Set by a service (`ttt serve`) that SIGTERM stops cleanly, as the first Ctrl-C does: a container's stop, a rolling
    /// update or a scale-down sends SIGTERM and waits its grace period before SIGKILL. Otherwise SIGTERM quits at once.
    /// </summary>
    public bool StopsOnTerm { get; set; }

    /// <summary>Cancelled by the first Ctrl-C while <see cref="CanStop"/>.</summary>
    public CancellationToken StopRequested => _stop.Token;

    /// <summary>What one Ctrl-C does. Returns true when the process should now quit (half-written files are gone).</summary>
    private bool Interrupt() =>
        Signal(CanStop, "ttt: stopping at the next phase boundary (Ctrl-C again to quit at once)...", "interrupted");

    /// <summary>What SIGTERM does. Returns true when the process should now quit.</summary>
    private bool Terminate() =>
        Signal(CanStop && StopsOnTerm, "ttt: terminated: stopping cleanly (SIGTERM or Ctrl-C again to quit at once)...", "terminated");

    /// <summary>
    /// The first signal that may stop the command cleanly asks it to stop (<see cref="StopRequested"/>); any other
    /// quits at once. Returns true when the process should now quit.
    /// </summary>
    private bool Signal(bool stopsCleanly, string stopping, string quitting)
    {
        if (stopsCleanly && Interlocked.Increment(ref _presses) == 1)
        {
            Say(stopping);
            // The token's callbacks (killing ffmpeg) run on the thread pool, not on the signal thread.
            _ = _stop.CancelAsync().ContinueWith(t => Say($"ttt: while stopping: {t.Exception?.InnerException?.Message}"),
                TaskContinuationOptions.OnlyOnFaulted);
            return false;
        }
        Quit(quitting);
        return true;
    }

    private void Quit(string why)
    {
        int removed = _files.AbandonAll();   // never throws
        Say($"ttt: {why}, quitting at once" + (removed == 0 ? "" : $"; removed {removed} half-written file{(removed == 1 ? "" : "s")}"));
    }

    /// <summary>A line on stderr that cannot fail (stderr may be a full disk or a closed pipe).</summary>
    private void Say(string line)
    {
        try
        {
            _error.WriteLine(line);
            _error.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Stops handling signals. The token source stays undisposed: a handler already running may still cancel it.</summary>
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
