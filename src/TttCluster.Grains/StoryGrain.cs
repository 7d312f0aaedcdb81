using Orleans.Placement;
using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// A story's record: how far it got, where each segment is. The coordinator reports after every step and the silos
/// report each segment's phases as they happen, so a status query never has to reach the busy segments. Progress goes on
/// to the story's observer (the render's caller). Placed with its coordinator (the first caller). State lives in memory
/// for now; durable storage comes with the farm service.
/// </summary>
[PreferLocalPlacement]
public sealed class StoryGrain : Grain, IStoryGrain
{
    private StoryStatus? _status;
    private IStoryObserver? _observer;
    private readonly Dictionary<int, SegmentProgress> _segments = new();

    private string StoryId => this.GetPrimaryKeyString();

    Task IStoryGrain.BeginAsync(int steps, IStoryObserver? observer, CancellationToken cancel)
    {
        _status = new StoryStatus(StoryId, "accepted", 0, steps);
        _observer = observer;
        lock (_segments) _segments.Clear();
        return Task.CompletedTask;
    }

    Task<StoryStatus> IStoryGrain.GetStatusAsync(CancellationToken cancel) => Task.FromResult(_status ?? new StoryStatus(StoryId, "unknown", 0, 0));

    Task IStoryGrain.ReportAsync(StoryStatus status, CancellationToken cancel)
    {
        if (_status is null) throw new InvalidOperationException($"story '{StoryId}' reported before it began");
        if (status.StoryId != StoryId) throw new ArgumentException($"story grain '{StoryId}' was sent the status of story '{status.StoryId}'");
        _status = status;
        return Task.CompletedTask;
    }

    Task IStoryGrain.ReportProgressAsync(SegmentProgress[] events)
    {
        var ours = events.Where(e => e.StoryId == StoryId).ToArray();
        lock (_segments)
            foreach (var e in ours)
                if (e.Segment >= 0) _segments[e.Segment] = e;
        // One-way: a watcher that went away costs nothing here.
        if (ours.Length > 0) _observer?.OnProgressAsync(ours);
        return Task.CompletedTask;
    }

    Task<SegmentProgress[]> IStoryGrain.GetSegmentsAsync(CancellationToken cancel)
    {
        lock (_segments) return Task.FromResult(_segments.OrderBy(p => p.Key).Select(p => p.Value).ToArray());
    }
}
