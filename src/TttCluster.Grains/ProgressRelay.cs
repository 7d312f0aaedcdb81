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

    /// <summary>A story's events waiting to go, the loop sending them, and a way to cut its wait short.</summary>
    private sealed class Outbox
    {
        public List<SegmentProgress> Queued = new();
        public Task Sending = Task.CompletedTask;
        public readonly TaskCompletionSource FlushRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly object _gate = new();
    private readonly Dictionary<string, Outbox> _outboxes = new();

    public void Report(SegmentProgress progress)
    {
        lock (_gate)
        {
            if (_outboxes.TryGetValue(progress.StoryId, out var outbox)) { outbox.Queued.Add(progress); return; }   // its loop picks it up
            outbox = _outboxes[progress.StoryId] = new Outbox();
            outbox.Queued.Add(progress);
            // On the thread pool: started from a segment's turn, the loop would otherwise run on that grain's scheduler.
            outbox.Sending = Task.Run(() => SendAsync(progress.StoryId, outbox));
        }
    }

    /// <summary>Sends what is queued for the story now and completes when it has gone (before the story is released).</summary>
    public Task FlushAsync(string storyId)
    {
        lock (_gate)
        {
            if (!_outboxes.TryGetValue(storyId, out var outbox)) return Task.CompletedTask;
            outbox.FlushRequested.TrySetResult();
            return outbox.Sending;
        }
    }

    private async Task SendAsync(string storyId, Outbox outbox)
    {
        while (true)
        {
            // Let a burst gather (the first event of a burst waits too, briefly), unless someone needs it all sent now.
            await Task.WhenAny(Task.Delay(MinInterval), outbox.FlushRequested.Task);
            List<SegmentProgress> batch;
            lock (_gate)
            {
                if (outbox.Queued.Count == 0) { _outboxes.Remove(storyId); return; }
                (batch, outbox.Queued) = (outbox.Queued, new());
            }
            try
            {
                await grains.GetGrain<IStoryGrain>(storyId).ReportProgressAsync(batch.ToArray());
            }
            catch (Exception e) when (e is OrleansException or TimeoutException or InvalidOperationException)
            {
                // Dropped: the story's grain is gone or unreachable; the render itself is unaffected.
            }
        }
    }
}
