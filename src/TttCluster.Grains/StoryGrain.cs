using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// A story's record: what was asked, how far it got, where each segment is. The coordinator reports after every step and
/// the silos report each segment's phases as they happen, so a status query never has to reach the busy segments. The
/// progress goes on to whoever in this process subscribed (the coordinator's caller). State lives in memory for now;
/// durable storage comes with the storage layer.
/// </summary>
public sealed class StoryGrain(string storyId, ProgressSubscriptions subscriptions) : IStoryGrain
{
    private bool _submitted;   // the job itself is not kept: its noise and text are the coordinator's
    private StoryStatus _status = new(storyId, "unknown", 0, 0);
    private readonly Dictionary<int, SegmentProgress> _segments = new();

    Task IStoryGrain.SubmitAsync(StoryJob job, CancellationToken cancel)
    {
        if (job.StoryId != storyId) throw new ArgumentException($"story grain '{storyId}' was sent the job of story '{job.StoryId}'");
        _submitted = true;
        _status = new StoryStatus(storyId, "accepted", 0, job.Steps);
        lock (_segments) _segments.Clear();
        return Task.CompletedTask;
    }

    Task<StoryStatus> IStoryGrain.GetStatusAsync(CancellationToken cancel) => Task.FromResult(_status);

    Task IStoryGrain.ReportAsync(StoryStatus status, CancellationToken cancel)
    {
        if (!_submitted) throw new InvalidOperationException($"story '{storyId}' reported before it was submitted");
        _status = status;
        return Task.CompletedTask;
    }

    Task IStoryGrain.ReportProgressAsync(IReadOnlyList<SegmentProgress> events, CancellationToken cancel)
    {
        var ours = events.Where(e => e.StoryId == storyId).ToArray();
        lock (_segments)
            foreach (var e in ours)
                if (e.Segment >= 0) _segments[e.Segment] = e;
        subscriptions.Publish(storyId, ours);
        return Task.CompletedTask;
    }

    Task<IReadOnlyList<SegmentProgress>> IStoryGrain.GetSegmentsAsync(CancellationToken cancel)
    {
        lock (_segments) return Task.FromResult<IReadOnlyList<SegmentProgress>>(_segments.OrderBy(p => p.Key).Select(p => p.Value).ToArray());
    }
}
