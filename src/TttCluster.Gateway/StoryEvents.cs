using System.Threading.Channels;

namespace TttCluster.Gateway;

/// <summary>One thing that happened to a story, as the events stream sends it.</summary>
/// <param name="Id">"EPOCH-N": N counts this story's events in this process; EPOCH tells processes apart, so a client resuming
/// with an id of an earlier process gets everything this one has.</param>
/// <param name="Type">"state" (the story's view after a change of state) or "progress" (a segment's step, layer, phase, silo).</param>
public sealed record StoryEvent(string Id, string Type, object Data);

/// <summary>
/// The farm's progress events, per story: the recent ones kept (so a client that lost its connection resumes where it
/// was, by the last event id it saw), and handed to every watcher as they happen. In this process's memory: a watcher of
/// a restarted farm starts again from the story's current state.
/// </summary>
public sealed class StoryEvents
{
    /// <summary>Events kept per story for resuming watchers (a Tiny one-minute story makes ~3,000).</summary>
    public const int Kept = 10_000;

    /// <summary>How long a finished story's events stay for late watchers.</summary>
    public static readonly TimeSpan KeptAfterEnd = TimeSpan.FromMinutes(10);

    private readonly string _epoch = DateTime.UtcNow.Ticks.ToString("x");
    private readonly Dictionary<string, StoryLog> _stories = new();

    private sealed class StoryLog
    {
        public long Count;
        public readonly Queue<(long Number, StoryEvent Event)> Recent = new();
        public readonly List<Channel<StoryEvent>> Watchers = new();
        public bool Ended;
    }

    /// <summary>Records an event and hands it to the story's watchers.</summary>
    public void Publish(string storyId, string type, object data)
    {
        lock (_stories)
        {
            var log = LogOf(storyId);
            // The final state is the last event: whatever comes after it (a late write of a step's record, a second
            // "cancelled" from the render stopping) would follow the end in the kept events a resuming watcher gets.
            if (log.Ended) return;
            var e = new StoryEvent($"{_epoch}-{++log.Count}", type, data);
            log.Recent.Enqueue((log.Count, e));
            if (log.Recent.Count > Kept) log.Recent.Dequeue();
            // Unbounded: a slow watcher's events wait for it rather than slow the render; its connection ends it.
            foreach (var watcher in log.Watchers) watcher.Writer.TryWrite(e);
        }
    }

    /// <summary>The story reached a final state: its watchers' streams end after what they have; late ones get the record.</summary>
    public void End(string storyId)
    {
        lock (_stories)
        {
            var log = LogOf(storyId);
            log.Ended = true;
            foreach (var watcher in log.Watchers) watcher.Writer.TryComplete();
            log.Watchers.Clear();
        }
        _ = ForgetLater(storyId);
    }

    private async Task ForgetLater(string storyId)
    {
        await Task.Delay(KeptAfterEnd);
        lock (_stories) if (_stories.TryGetValue(storyId, out var log) && log.Ended) _stories.Remove(storyId);
    }

    /// <summary>
    /// A watcher: the kept events after <paramref name="lastEventId"/> (all kept ones when it is null or of another
    /// process), then every new one until the story ends or <paramref name="stop"/>.
    /// </summary>
    public async IAsyncEnumerable<StoryEvent> WatchAsync(string storyId, string? lastEventId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stop)
    {
        var live = Channel.CreateUnbounded<StoryEvent>(new UnboundedChannelOptions { SingleReader = true });
        List<StoryEvent> backlog;
        lock (_stories)
        {
            var log = LogOf(storyId);
            long after = NumberIn(lastEventId);
            backlog = log.Recent.Where(r => r.Number > after).Select(r => r.Event).ToList();
            if (log.Ended) live.Writer.TryComplete();
            else log.Watchers.Add(live);
        }
        try
        {
            foreach (var e in backlog) yield return e;
            await foreach (var e in live.Reader.ReadAllAsync(stop)) yield return e;
        }
        finally
        {
            lock (_stories) if (_stories.TryGetValue(storyId, out var log)) log.Watchers.Remove(live);
        }
    }

    /// <summary>
    /// The kept events after <paramref name="lastEventId"/> of a story that has ended: what a client that lost its
    /// connection before the end still missed. None when the id is null or of another process, or the story's events
    /// are no longer kept. (Unlike <see cref="WatchAsync"/>, this never starts a log for a story it does not know.)
    /// </summary>
    public IReadOnlyList<StoryEvent> KeptAfter(string storyId, string? lastEventId)
    {
        lock (_stories)
        {
            long after = NumberIn(lastEventId);
            if (after == 0 || !_stories.TryGetValue(storyId, out var log)) return [];
            return log.Recent.Where(r => r.Number > after).Select(r => r.Event).ToList();
        }
    }

    /// <summary>The event number within this process of an id "EPOCH-N"; 0 for none, a malformed one, or another process's.</summary>
    private long NumberIn(string? lastEventId)
    {
        if (lastEventId is null) return 0;
        int dash = lastEventId.IndexOf('-');
        if (dash < 0 || lastEventId[..dash] != _epoch) return 0;
        return long.TryParse(lastEventId[(dash + 1)..], out long n) && n > 0 ? n : 0;
    }

    private StoryLog LogOf(string storyId)
    {
        if (!_stories.TryGetValue(storyId, out var log)) _stories[storyId] = log = new StoryLog();
        return log;
    }
}
