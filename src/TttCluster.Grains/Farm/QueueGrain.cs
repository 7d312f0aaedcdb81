using Orleans.Placement;
using TttCluster.Abstractions;

namespace TttCluster.Grains.Farm;

[GenerateSerializer]
public sealed class QueueState
{
    [Id(0)] public List<QueueEntry> Waiting { get; set; } = [];
    [Id(1)] public List<QueueEntry> Rendering { get; set; } = [];
    [Id(2)] public long NextSequence { get; set; } = 1;

    /// <summary>When each tenant was last served (a count of takes), for fairness between tenants.</summary>
    [Id(3)] public Dictionary<string, long> LastServed { get; set; } = [];
    [Id(4)] public long Takes { get; set; }
}

/// <summary>
/// The farm's queue. The next story is the waiting one of highest priority; among equal priorities, the one of the tenant
/// served longest ago (so one tenant's burst of submissions takes turns with everybody else's), then the oldest.
/// </summary>
[PreferLocalPlacement]
public sealed class QueueGrain([PersistentState("queue", FarmStorage.Name)] IPersistentState<QueueState> state) : Grain, IQueueGrain
{
    private QueueState Queue => state.State;

    async Task IQueueGrain.EnqueueAsync(string storyId, string tenant, int priority, CancellationToken cancel)
    {
        if (Queue.Waiting.Any(e => e.StoryId == storyId) || Queue.Rendering.Any(e => e.StoryId == storyId)) return;
        // The counter and the entry in one write.
        Queue.Waiting.Add(new QueueEntry(storyId, tenant, priority, Queue.NextSequence++));
        await state.WriteStateAsync(cancel);
    }

    async Task<QueueEntry?> IQueueGrain.TakeAsync(CancellationToken cancel)
    {
        if (Queue.Waiting.Count == 0) return null;
        int top = Queue.Waiting.Max(e => e.Priority);
        var next = Queue.Waiting.Where(e => e.Priority == top)
            .OrderBy(e => Queue.LastServed.GetValueOrDefault(e.Tenant, -1))
            .ThenBy(e => e.Sequence)
            .First();
        Queue.Waiting.Remove(next);
        Queue.Rendering.Add(next);
        Queue.LastServed[next.Tenant] = Queue.Takes++;
        await state.WriteStateAsync(cancel);
        return next;
    }

    async Task<bool> IQueueGrain.RemoveAsync(string storyId, CancellationToken cancel)
    {
        int removed = Queue.Waiting.RemoveAll(e => e.StoryId == storyId) + Queue.Rendering.RemoveAll(e => e.StoryId == storyId);
        if (removed == 0) return false;
        await state.WriteStateAsync(cancel);
        return true;
    }

    async Task<int> IQueueGrain.RequeueRenderingAsync(CancellationToken cancel)
    {
        int count = Queue.Rendering.Count;
        if (count == 0) return 0;
        // They wait again with their own priority and submission order, so they come before anything of theirs submitted later.
        Queue.Waiting.InsertRange(0, Queue.Rendering);
        Queue.Rendering.Clear();
        await state.WriteStateAsync(cancel);
        return count;
    }

    Task<(int Waiting, int Rendering)> IQueueGrain.CountAsync(CancellationToken cancel) => Task.FromResult((Queue.Waiting.Count, Queue.Rendering.Count));
}
