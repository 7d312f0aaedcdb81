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

/// <summary>A worker silo (key: silo id): its capacity and what it holds.</summary>
public interface ISiloGrain : IGrainWithStringKey
{
    Task<SiloStatus> GetStatusAsync(CancellationToken cancel);
}
