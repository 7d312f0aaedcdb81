using Orleans.Placement;
using TttCluster.Abstractions;

namespace TttCluster.Grains.Farm;

[GenerateSerializer]
public sealed class TenantState
{
    /// <summary>Story ids in submission order.</summary>
    [Id(0)] public List<string> StoryIds { get; set; } = [];
}

/// <summary>A tenant's stories, so a listing never has to look at other tenants' records.</summary>
[PreferLocalPlacement]
public sealed class TenantGrain([PersistentState("tenant", FarmStorage.Name)] IPersistentState<TenantState> state) : Grain, ITenantGrain
{
    async Task ITenantGrain.AddStoryAsync(string storyId, CancellationToken cancel)
    {
        if (state.State.StoryIds.Contains(storyId)) return;
        state.State.StoryIds.Add(storyId);
        await state.WriteStateAsync(cancel);
    }

    Task<(string[] Ids, int Total)> ITenantGrain.ListAsync(int offset, int limit, CancellationToken cancel)
    {
        var ids = state.State.StoryIds;
        string[] page = Enumerable.Reverse(ids).Skip(offset).Take(limit).ToArray();
        return Task.FromResult((page, ids.Count));
    }
}
