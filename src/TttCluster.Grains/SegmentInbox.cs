using System.Collections.Concurrent;
using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// What a segment's neighbours push to it, with a signal for each arrival, and the buffer its scan outputs are gathered
/// in. Pushes arrive on interleaving calls, concurrently with each other and with the segment's own turn.
/// </summary>
internal sealed class SegmentInbox
{
    // Keyed by step too: the halo input of a step's first layer is pushed by segment k − 1 as it begins the step, which
    // may be before this segment has. Group: the head group of a scan state (0 for every other input).
    private readonly ConcurrentDictionary<(int Step, int Layer, SegmentInput Input, int Group), TaskCompletionSource> _arrivals = new();
    private readonly ConcurrentDictionary<(int Step, int Layer), FloatBlock> _haloInputs = new();
    // One slot per direction and head group, as a scan takes each state before the next layer's can come: a newer push
    // replaces one nobody took, so states never pile up.
    private readonly ConcurrentDictionary<(bool Reverse, int Group), (int Layer, byte[] State)> _states = new();

    /// <summary>Window k + 1's output for this segment's last frame, for the current layer.</summary>
    public FloatBlock? HaloOutputFromNext;

    /// <summary>
    /// The current direction's scan outputs [B, H, C, d], rows in that direction's order, and how many (row, head group)
    /// pieces are in: C × groups make it complete.
    /// </summary>
    public float[] ScanOutput = [];
    public int ScanOutputRows;
    public (int Layer, bool Reverse) ScanOutputDirection;

    public Task Arrived(int step, int layer, SegmentInput input, int group = 0) => Arrival(step, layer, input, group).Task;

    public void Signal(int step, int layer, SegmentInput input, int group = 0) => Arrival(step, layer, input, group).TrySetResult();

    public void PutHaloInput(int step, int layer, FloatBlock lastFrame)
    {
        _haloInputs[(step, layer)] = lastFrame;
        Signal(step, layer, SegmentInput.HaloInput);
    }

    /// <summary>Keeps a head group's scan state from the previous segment and signals its arrival.</summary>
    public void PutState(int step, int layer, bool reverse, int group, byte[] state)
    {
        _states[(reverse, group)] = (layer, state);
        Signal(step, layer, reverse ? SegmentInput.ReverseState : SegmentInput.ForwardState, group);
    }

    public bool TakeState(int layer, bool reverse, int group, out byte[] state)
    {
        state = [];
        if (!_states.TryGetValue((reverse, group), out var pushed) || pushed.Layer != layer) return false;
        if (!_states.TryRemove(new KeyValuePair<(bool, int), (int, byte[])>((reverse, group), pushed))) return false;
        state = pushed.State;
        return true;
    }

    public bool TakeHaloInput(int step, int layer, out FloatBlock lastFrame) => _haloInputs.TryRemove((step, layer), out lastFrame!);

    /// <summary>Drops what belongs to earlier steps.</summary>
    public void ForgetBefore(int step)
    {
        foreach (var key in _arrivals.Keys.Where(key => key.Step < step)) _arrivals.TryRemove(key, out _);
        foreach (var key in _haloInputs.Keys.Where(key => key.Step < step)) _haloInputs.TryRemove(key, out _);
        _states.Clear();   // a step's states are all taken by its scans; none is for a later step
    }

    private TaskCompletionSource Arrival(int step, int layer, SegmentInput input, int group) =>
        _arrivals.GetOrAdd((step, layer, input, group), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
