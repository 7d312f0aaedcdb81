using System.Collections.Concurrent;
using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// What a segment's neighbours push to it during one attempt, with a signal for each arrival, and the buffer its scan
/// outputs are gathered in. A re-placement gives the segment a new inbox in one reference swap, so a late push from an
/// abandoned attempt can only land in the old one. Pushes arrive on interleaving calls, concurrently with each other
/// and with the segment's own turn.
/// </summary>
internal sealed class SegmentInbox(int attempt)
{
    public int Attempt { get; } = attempt;

    // Keyed by step too: the halo input of a step's first layer is pushed by segment k − 1 as it begins the step, which
    // may be before this segment has.
    private readonly ConcurrentDictionary<(int Step, int Layer, SegmentInput Input), TaskCompletionSource> _arrivals = new();
    private readonly ConcurrentDictionary<(int Step, int Layer), float[]> _haloInputs = new();

    /// <summary>Window k + 1's output for this segment's last frame, for the current layer.</summary>
    public float[]? HaloOutputFromNext;

    /// <summary>The scan state the previous segment pushed, for this segment's next scan.</summary>
    public (int Layer, bool Reverse, byte[] State)? PushedState;

    /// <summary>The current direction's scan outputs [B, H, C, d], rows in that direction's order, and how many are in.</summary>
    public float[] ScanOutput = [];
    public int ScanOutputRows;
    public (int Layer, bool Reverse) ScanOutputDirection;

    public Task Arrived(int step, int layer, SegmentInput input) => Arrival(step, layer, input).Task;

    public void Signal(int step, int layer, SegmentInput input) => Arrival(step, layer, input).TrySetResult();

    public void PutHaloInput(int step, int layer, float[] lastFrame)
    {
        _haloInputs[(step, layer)] = lastFrame;
        Signal(step, layer, SegmentInput.HaloInput);
    }

    public bool TakeHaloInput(int step, int layer, out float[] lastFrame) => _haloInputs.TryRemove((step, layer), out lastFrame!);

    /// <summary>Drops what belongs to earlier steps.</summary>
    public void ForgetBefore(int step)
    {
        foreach (var key in _arrivals.Keys.Where(key => key.Step < step)) _arrivals.TryRemove(key, out _);
        foreach (var key in _haloInputs.Keys.Where(key => key.Step < step)) _haloInputs.TryRemove(key, out _);
    }

    private TaskCompletionSource Arrival(int step, int layer, SegmentInput input) =>
        _arrivals.GetOrAdd((step, layer, input), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
