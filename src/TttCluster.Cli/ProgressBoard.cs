using System.Diagnostics;
using TttCluster.Rendering;

namespace TttCluster.Cli;

/// <summary>How a render shows its progress.</summary>
public enum ProgressStyle
{
    /// <summary>A terminal: one row per segment (step, layer, phase) and an overall line, redrawn in place.</summary>
    Table,
    /// <summary>Piped or in CI: one line per finished step, then a few lines while the video is encoded.</summary>
    Lines,
    /// <summary>--quiet: nothing while it runs.</summary>
    Quiet,
}

/// <summary>
/// Live render progress in one of the <see cref="ProgressStyle"/>s; the table is redrawn at most 10 times a second.
/// Events arrive from several threads at once.
/// </summary>
public sealed class ProgressBoard(int segments, int steps, TextWriter output, ProgressStyle style)
{
    private readonly object _gate = new();
    private readonly (int Step, int Layer, string Phase)[] _rows = Enumerable.Repeat((0, 0, "waiting"), segments).ToArray();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _stepsDone, _framesDone, _frames, _linesDrawn, _quartersReported;
    private string _stage = "sampling";
    private long _lastDrawTicks;

    public static ProgressStyle StyleFor(bool quiet, bool outputIsTerminal) =>
        quiet ? ProgressStyle.Quiet : outputIsTerminal ? ProgressStyle.Table : ProgressStyle.Lines;

    public void Report(RenderProgress p)
    {
        if (style == ProgressStyle.Quiet) return;
        lock (_gate)
        {
            _stage = p.Stage;
            if (p.Stage == "sampling")
            {
                if (p.Segment >= 0 && p.Segment < segments) _rows[p.Segment] = (p.Step, p.Layer, p.Phase);
                if (p.Phase == "step done")
                {
                    _stepsDone = p.Step + 1;
                    if (style == ProgressStyle.Lines) output.WriteLine($"step {_stepsDone}/{steps} done, {Elapsed()} elapsed, {Eta()}");
                }
            }
            else
            {
                _framesDone = p.Frame;
                _frames = p.Frames;
                if (style == ProgressStyle.Lines && p.Frames > 0 && 4 * p.Frame / p.Frames > _quartersReported)
                {
                    _quartersReported = 4 * p.Frame / p.Frames;
                    output.WriteLine($"{p.Stage}: frame {p.Frame}/{p.Frames}");
                }
            }
            if (style == ProgressStyle.Table && (_clock.ElapsedTicks - _lastDrawTicks > Stopwatch.Frequency / 10 || p.Phase == "step done" || p.Stage == "done"))
                Draw();
        }
    }

    /// <summary>Draws the final state once more (so the last update is never lost to throttling).</summary>
    public void Finish()
    {
        lock (_gate) if (style == ProgressStyle.Table) Draw();
    }

    private string Elapsed() => $"{_clock.Elapsed.TotalSeconds:F1} s";

    private string Eta()
    {
        if (_stepsDone == 0) return "ETA after the first step";
        double perStep = _clock.Elapsed.TotalSeconds / _stepsDone;
        return $"{perStep:F2} s/step, ETA {perStep * (steps - _stepsDone):F0} s for sampling";
    }

    private void Draw()
    {
        _lastDrawTicks = _clock.ElapsedTicks;
        var lines = new List<string>();
        for (int k = 0; k < segments; k++)
        {
            var (step, layer, phase) = _rows[k];
            lines.Add($"  segment {k,3}   step {Math.Min(step + 1, steps),3}/{steps}   layer {layer + 1}   {phase}");
        }
        lines.Add(_stage == "sampling"
            ? $"sampling: {_stepsDone}/{steps} steps, {Elapsed()}, {Eta()}"
            : $"{_stage}: frame {_framesDone}/{_frames}, {Elapsed()}");
        // Move up over what was drawn last time, then overwrite each line.
        if (_linesDrawn > 0) output.Write($"\u001b[{_linesDrawn}A");
        foreach (string line in lines) output.Write($"\u001b[2K{line}\n");
        output.Flush();
        _linesDrawn = lines.Count;
    }
}
