using Orleans.Concurrency;

namespace TttCluster.Abstractions;

/// <summary>Drives one story (key: story id): every step, every layer, the serial scans, in order.</summary>
public interface ICoordinatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Renders the story's latents on the worker silos; progress events flow to <paramref name="observer"/>. Lasts as
    /// long as the story: the call's deadline is a week, not the runtime's default. Cancelling the token (or
    /// <see cref="StopAsync"/>) stops the story at once; the outcome then holds the last finished step's latents.
    /// </summary>
    [ResponseTimeout("7.00:00:00")]
    Task<RenderOutcome> RenderLatentsAsync(StoryJob job, IStoryObserver? observer, CancellationToken cancel);

    /// <summary>Stops the story being rendered; its <see cref="RenderLatentsAsync"/> returns with the last finished step.</summary>
    [AlwaysInterleave]
    Task StopAsync(CancellationToken cancel);
}

/// <summary>Whoever watches a story render (the CLI's progress board, a test): hears every progress event as it happens.</summary>
public interface IStoryObserver : IGrainObserver
{
    [OneWay]
    Task OnProgressAsync(SegmentProgress[] events);
}

/// <summary>A story's record (key: story id): what was asked, where it is, how far it got.</summary>
public interface IStoryGrain : IGrainWithStringKey
{
    /// <summary>The story starts (again): <paramref name="steps"/> to go, progress to <paramref name="observer"/> (none: nobody watches).</summary>
    Task BeginAsync(int steps, IStoryObserver? observer, CancellationToken cancel);

    Task<StoryStatus> GetStatusAsync(CancellationToken cancel);

    Task ReportAsync(StoryStatus status, CancellationToken cancel);

    /// <summary>Progress of the story's segments, sent by their silos as it happens (batched while a send is under way).</summary>
    [AlwaysInterleave, OneWay]
    Task ReportProgressAsync(SegmentProgress[] events);

    /// <summary>Where each segment is now: the latest progress each reported.</summary>
    [AlwaysInterleave]
    Task<SegmentProgress[]> GetSegmentsAsync(CancellationToken cancel);
}

/// <summary>The segments of one attempt at a story that one silo holds, in story order.</summary>
[GenerateSerializer, Immutable]
public sealed record SiloShare(string StoryId, string Attempt, int[] Segments);

/// <summary>
/// A worker silo (key: the silo's name; it lives on that silo). A coordinator drives a story's segments through it with
/// one call per silo for each part of a step, not one per segment and phase: between processes every call is a round
/// trip. The scans cross silos by themselves: each segment scans when the state from the previous one arrives.
/// </summary>
public interface ISiloGrain : IGrainWithStringKey
{
    [AlwaysInterleave]
    Task<SiloWorkload> GetStatusAsync(CancellationToken cancel);

    /// <summary>Starts step <paramref name="start"/> on each segment of the share, then runs the first layer's attention.</summary>
    [AlwaysInterleave]
    Task BeginStepAsync(SiloShare share, StepStart start, CancellationToken cancel);

    /// <summary>Runs one of a layer's parallel phases on each segment of the share at once.</summary>
    [AlwaysInterleave]
    Task RunPhaseAsync(SiloShare share, SegmentPhase phase, int layer, CancellationToken cancel);

    /// <summary>
    /// Runs one direction of a layer's scan on the share (a contiguous run of the story), every head group: each segment
    /// scans a group once that group's state from the segment before it in the scan's direction has arrived, and pushes
    /// it on, to the next silo at the end. Called on every silo at once: the states' arrivals, not the coordinator, say
    /// whose turn it is.
    /// </summary>
    [AlwaysInterleave]
    Task ScanAsync(SiloShare share, int layer, bool reverse, CancellationToken cancel);

    /// <summary>
    /// Finishes the last layer's block (<paramref name="lastLayer"/>) and ends the step on each segment of the share;
    /// returns their latent frames, concatenated in story order.
    /// </summary>
    [AlwaysInterleave]
    Task<FloatBlock> EndStepAsync(SiloShare share, int lastLayer, StepEnd end, CancellationToken cancel);

    /// <summary>
    /// The share is done with (the story ended, or it is re-placed): sends its segments' last progress and deactivates them.
    /// </summary>
    [AlwaysInterleave]
    Task ReleaseAsync(SiloShare share, CancellationToken cancel);
}
