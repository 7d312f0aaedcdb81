namespace TttCluster.Abstractions;

/// <summary>Drives one story (key: story id): every step, every layer, the serial scans, in order.</summary>
public interface ICoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Renders the story's latents on the segments' silos; progress events flow to <paramref name="progress"/>.</summary>
    [LongRunning]
    Task<float[]> RenderLatentsAsync(StoryJob job, IProgress<SegmentProgress>? progress, CancellationToken cancel);
}

/// <summary>A story's record (key: story id): what was asked, where it is, how far it got.</summary>
public interface IStoryGrain : IGrainWithStringKey
{
    Task SubmitAsync(StoryJob job, CancellationToken cancel);
    Task<StoryStatus> GetStatusAsync(CancellationToken cancel);
    Task ReportAsync(StoryStatus status, CancellationToken cancel);

    /// <summary>Progress of the story's segments, sent by their silos as it happens (batched while a send is under way).</summary>
    [AlwaysInterleave, OneWay]
    Task ReportProgressAsync(IReadOnlyList<SegmentProgress> events, CancellationToken cancel);

    /// <summary>Where each segment is now: the latest progress each reported.</summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<SegmentProgress>> GetSegmentsAsync(CancellationToken cancel);
}

/// <summary>
/// A worker silo (key: silo id): its capacity and what it holds. A coordinator drives a story's segments through it with
/// one call per silo for each part of a step, not one per segment and phase: between processes every call is a round
/// trip. The scans cross silos by themselves: each segment scans when the state from the previous one arrives.
/// </summary>
public interface ISiloGrain : IGrainWithStringKey
{
    Task<SiloStatus> GetStatusAsync(CancellationToken cancel);

    /// <summary>Starts step <paramref name="start"/> on each listed segment (held on this silo), then runs the first layer's attention.</summary>
    [AlwaysInterleave]
    Task BeginStepAsync(string storyId, IReadOnlyList<int> segments, StepStart start, CancellationToken cancel);

    /// <summary>Runs one of a layer's parallel phases on each listed segment at once.</summary>
    [AlwaysInterleave]
    Task RunPhaseAsync(string storyId, IReadOnlyList<int> segments, SegmentPhase phase, int layer, CancellationToken cancel);

    /// <summary>
    /// Runs one direction of a layer's scan on the listed segments (a contiguous run of the story), every head group:
    /// each segment scans a group once that group's state from the segment before it in the scan's direction has
    /// arrived, and pushes it on, to the next silo at the end. Called on every silo at once: the states' arrivals, not
    /// the coordinator, say whose turn it is.
    /// </summary>
    [AlwaysInterleave]
    Task ScanAsync(string storyId, IReadOnlyList<int> segments, int layer, bool reverse, CancellationToken cancel);

    /// <summary>
    /// Finishes the last layer's block (<paramref name="lastLayer"/>) and ends the step on each listed segment; returns
    /// their latent frames, concatenated in the order listed.
    /// </summary>
    [AlwaysInterleave]
    Task<float[]> EndStepAsync(string storyId, IReadOnlyList<int> segments, int lastLayer, StepEnd end, CancellationToken cancel);

    /// <summary>
    /// Before a re-placement: drops the activations of the listed segments that belong to an attempt before
    /// <paramref name="attempt"/> (a late release never touches the new attempt's).
    /// </summary>
    [AlwaysInterleave]
    Task ReleaseAsync(string storyId, IReadOnlyList<int> segments, int attempt, CancellationToken cancel);

    /// <summary>
    /// The story ended: sends its segments' last progress, drops their activations here and forgets where its grains
    /// live. Called on every living silo, since every one received its directory.
    /// </summary>
    [AlwaysInterleave]
    Task ForgetStoryAsync(string storyId, int segments, CancellationToken cancel);
}
