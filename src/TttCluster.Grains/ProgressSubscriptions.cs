using System.Collections.Concurrent;
using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// Who in this process listens to which story's progress: the coordinator subscribes its caller's IProgress for the
/// length of a render, and the story grain (which the silos report to) publishes to it.
/// </summary>
public sealed class ProgressSubscriptions
{
    private readonly ConcurrentDictionary<string, IProgress<SegmentProgress>> _listeners = new();

    public IDisposable Subscribe(string storyId, IProgress<SegmentProgress> listener)
    {
        _listeners[storyId] = listener;
        return new Subscription(() => _listeners.TryRemove(new KeyValuePair<string, IProgress<SegmentProgress>>(storyId, listener)));
    }

    public void Publish(string storyId, IEnumerable<SegmentProgress> events)
    {
        if (!_listeners.TryGetValue(storyId, out var listener)) return;
        foreach (var e in events) listener.Report(e);
    }

    private sealed class Subscription(Action end) : IDisposable
    {
        public void Dispose() => end();
    }
}
