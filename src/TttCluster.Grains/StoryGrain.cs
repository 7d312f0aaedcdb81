using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// A story's record: what was asked and how far it got. The coordinator reports after every step, so a status query
/// never has to reach the busy segments. State lives in memory for now; durable storage comes with the storage layer.
/// </summary>
public sealed class StoryGrain(string storyId) : IStoryGrain
{
    private StoryJob? _job;
    private StoryStatus _status = new(storyId, "unknown", 0, 0);

    Task IStoryGrain.SubmitAsync(StoryJob job, CancellationToken cancel)
    {
        if (job.StoryId != storyId) throw new ArgumentException($"story grain '{storyId}' was sent the job of story '{job.StoryId}'");
        _job = job;
        _status = new StoryStatus(storyId, "accepted", 0, job.Steps);
        return Task.CompletedTask;
    }

    Task<StoryStatus> IStoryGrain.GetStatusAsync(CancellationToken cancel) => Task.FromResult(_status);

    Task IStoryGrain.ReportAsync(StoryStatus status, CancellationToken cancel)
    {
        if (_job is null) throw new InvalidOperationException($"story '{storyId}' reported before it was submitted");
        _status = status;
        return Task.CompletedTask;
    }
}
