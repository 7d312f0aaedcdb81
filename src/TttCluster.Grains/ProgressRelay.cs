using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// Carries segment progress from a silo to each story's grain as it happens. Reporting never waits: events queue here,
/// and per story one send is under way at a time and sends start at least <see cref="MinInterval"/> apart, each carrying
/// everything that queued meanwhile. Sending every event at once cost a Tiny scan chain 30% (a send per segment turn,
/// competing for the cores); 25 ms apart keeps the silos' work and the caller's view (I3: within a second) both fine.
/// Progress is best effort: a send that fails is dropped, never the render.
/// </summary>
public sealed class ProgressRelay(IGrainFactory grains)
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(25);

    private readonly object _gate = new();
    private readonly Dictionary<string, List<SegmentProgress>> _queued = new();
    private readonly HashSet<string> _sending = new();

    public void Report(SegmentProgress progress)
    {
        lock (_gate)
        {
            if (!_queued.TryGetValue(progress.StoryId, out var queue)) _queued[progress.StoryId] = queue = new();
            queue.Add(progress);
            if (!_sending.Add(progress.StoryId)) return;   // the send under way picks it up
        }
        _ = SendAsync(progress.StoryId);
    }

    private async Task SendAsync(string storyId)
    {
        while (true)
        {
            await Task.Delay(MinInterval);   // let a burst gather (the first event of a burst waits too, briefly)
            List<SegmentProgress> batch;
            lock (_gate)
            {
                if (!_queued.Remove(storyId, out batch!) || batch.Count == 0) { _sending.Remove(storyId); return; }
            }
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await grains.GetGrain<IStoryGrain>(storyId).ReportProgressAsync(batch, limit.Token);
            }
            catch (Exception e) when (e is Runtime.GrainCallException or OperationCanceledException or InvalidOperationException)
            {
                // Dropped: the story's grain is gone or unreachable; the render itself is unaffected.
            }
        }
    }
}
