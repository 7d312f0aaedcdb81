using Orleans.Concurrency;

namespace TttCluster.Abstractions;

/// <summary>
/// One 3-second segment of one attempt at a story, on the silo that holds its activations (key: see
/// <see cref="SegmentKeys"/>; the key names the silo, and placement puts it there). It runs the segment's parts of every
/// denoising step; the coordinator sequences them, neighbours exchange the shared boundary frame directly.
/// </summary>
public interface ISegmentGrain : IGrainWithStringKey
{
    /// <summary>Takes the segment's text and latents; called once per attempt.</summary>
    Task InitializeAsync(SegmentSetup setup, CancellationToken cancel);

    /// <summary>Starts a denoising step: embeds the segment's latent frames and text.</summary>
    Task BeginStepAsync(StepStart step, CancellationToken cancel);

    /// <summary>
    /// The residual rows of segment k − 1's last frame as layer <paramref name="layer"/> of step <paramref name="step"/>
    /// sees them (the halo of this segment's attention window), pushed as soon as they exist.
    /// </summary>
    [AlwaysInterleave, OneWay]
    Task ReceiveHaloInputAsync(int step, int layer, FloatBlock lastFrame);

    /// <summary>Window k + 1's output for this segment's last frame, averaged in before the forward scan.</summary>
    [AlwaysInterleave, OneWay]
    Task ReceiveHaloOutputAsync(int layer, FloatBlock haloOutput);

    /// <summary>
    /// Completes when this segment holds <paramref name="input"/> for <paramref name="layer"/> of the current step (at
    /// once when it needs none, such as the first segment of a scan direction). <paramref name="group"/> is the head
    /// group of a scan state; other inputs take 0.
    /// </summary>
    [AlwaysInterleave]
    Task WhenArrivedAsync(int layer, SegmentInput input, int group, CancellationToken cancel);

    /// <summary>Phase 1: adaLN and local attention over this segment's window (halo from segment k − 1).</summary>
    Task AttendAsync(int layer, CancellationToken cancel);

    /// <summary>Averages the shared frame and computes the scan inputs of the forward direction.</summary>
    Task PrepareForwardAsync(int layer, CancellationToken cancel);

    /// <summary>
    /// Runs this segment's run of the scan (phases 2 and 3) for one head group from the state the previous segment
    /// pushed here (or the layer's initial state for the first run), then pushes the state straight to the next segment's
    /// silo and the outputs of straddling mini-batches straight to their owners. Only control passes through the coordinator.
    /// </summary>
    Task ScanAsync(ScanTurn turn, CancellationToken cancel);

    /// <summary>
    /// A head group's scan state from the previous segment, for this segment's <see cref="ScanAsync"/> of that group:
    /// bytes the runtime passes without copying within a process and writes as one block between processes.
    /// </summary>
    [AlwaysInterleave, OneWay]
    Task ReceiveScanStateAsync(int layer, bool reverse, int group, Immutable<byte[]> state);

    /// <summary>Outputs of this segment's tokens that a later run computed (their mini-batch straddled the boundary).</summary>
    [AlwaysInterleave, OneWay]
    Task DeliverScanOutputAsync(ScanOutputs outputs);

    /// <summary>After the forward scan: Z, then the scan inputs of the reverse direction.</summary>
    Task FinishForwardAsync(int layer, CancellationToken cancel);

    /// <summary>After the reverse scan: Z′, the gates and the MLP (phase 4).</summary>
    Task FinishBlockAsync(int layer, CancellationToken cancel);

    /// <summary>Final layer and the sampler update of this segment's latent frames; returns them as they are now.</summary>
    Task<FloatBlock> EndStepAsync(StepEnd step, CancellationToken cancel);

    /// <summary>This segment's latent frames as they are now.</summary>
    [AlwaysInterleave]
    Task<FloatBlock> GetLatentsAsync(CancellationToken cancel);

    /// <summary>Deactivates this segment once the calls under way have finished.</summary>
    [AlwaysInterleave]
    Task ReleaseAsync(CancellationToken cancel);
}

/// <summary>
/// A segment's key: "{story}/{segment}/{attempt}@{silo}". The silo after the last '@' is where placement puts it
/// (<c>OnNamedSiloPlacement</c>); the attempt, an id unique to each placement, makes a re-placed segment, and every
/// segment of a later render of the same story, a new grain.
/// </summary>
public static class SegmentKeys
{
    public static string Of(string storyId, int segment, string attempt, string silo) =>
        attempt.Length > 0 && attempt.IndexOfAny(['/', '@']) < 0 ? $"{storyId}/{segment}/{attempt}@{silo}"
            : throw new ArgumentException($"segment key: expected an attempt id without '/' or '@', found '{attempt}'", nameof(attempt));

    /// <summary>The silo a key names: what follows its last '@', or the whole key when it has none (a silo grain's key is the silo's name).</summary>
    public static string SiloOf(string key) => key[(key.LastIndexOf('@') + 1)..];

    /// <summary>The story a segment's key names: what precedes its segment and attempt (story ids may hold '/').</summary>
    public static string StoryOf(string key)
    {
        int attemptSlash = key.LastIndexOf('/');
        return attemptSlash > 0 && key.LastIndexOf('/', attemptSlash - 1) is var segmentSlash and >= 0 ? key[..segmentSlash] : key;
    }
}
