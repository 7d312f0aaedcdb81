using System.Diagnostics;

namespace TttCluster.Video;

/// <summary>
/// Keeps the last lines a child process writes to stderr. Read asynchronously from the moment the process starts,
/// because a child blocked on a full stderr pipe while we block writing its stdin would deadlock both.
/// </summary>
internal sealed class StandardErrorTail
{
    /// <summary>Lines kept; ffmpeg's real error is in its last few lines, earlier ones are context.</summary>
    private const int MaxLines = 30;

    /// <summary>Characters kept per line, so one runaway line cannot flood an exception message.</summary>
    private const int MaxLineLength = 500;

    private readonly Queue<string> _lines = new();
    private readonly object _gate = new();

    /// <summary>Starts collecting <paramref name="process"/>'s stderr; call right after Process.Start.</summary>
    public static StandardErrorTail Attach(Process process)
    {
        var tail = new StandardErrorTail();
        process.ErrorDataReceived += (_, e) => tail.Add(e.Data);
        process.BeginErrorReadLine();
        return tail;
    }

    private void Add(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        if (line.Length > MaxLineLength) line = line[..MaxLineLength] + "...";
        lock (_gate)
        {
            _lines.Enqueue(line);
            if (_lines.Count > MaxLines) _lines.Dequeue();
        }
    }

    /// <summary>
    /// The kept lines joined with newlines. Complete only after the process has exited and Process.WaitForExit()
    /// (without a timeout) returned, which also waits for the asynchronous reader to reach the end of the pipe.
    /// </summary>
    public override string ToString()
    {
        lock (_gate) return string.Join(Environment.NewLine, _lines);
    }
}
