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
}

/// <summary>
/// A worker silo (key: silo id): its capacity and what it holds. A coordinator drives a story's segments through it, one
/// call per silo and phase rather than one per segment: between processes every call is a round trip, and a step has
/// about twenty phases.
/// </summary>
public interface ISiloGrain : IGrainWithStringKey
{
    Task<SiloStatus> GetStatusAsync(CancellationToken cancel);

    /// <summary>Runs one phase on each listed segment (held on this silo) at once; returns when all are done.</summary>
    [AlwaysInterleave]
    Task RunPhaseAsync(PhaseBatch batch, CancellationToken cancel);

    /// <summary>
    /// Runs the scan on the listed segments one after another, in the order given (a contiguous run of the story, in the
    /// scan's direction). Each pushes the state to the next itself: here, within this silo; the last, to the next silo.
    /// </summary>
    [AlwaysInterleave]
    Task ScanRangeAsync(ScanBatch batch, CancellationToken cancel);
}
