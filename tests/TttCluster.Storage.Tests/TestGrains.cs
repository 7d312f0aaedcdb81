using Orleans;
using Orleans.Runtime;

namespace TttCluster.Storage.Tests;

/// <summary>A plain state class, as the farm's grains keep.</summary>
public sealed class CounterState
{
    public int Count { get; set; }

    public string? Note { get; set; }
}

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> Increment();

    Task<int> Get();

    Task Clear();
}

/// <summary>A counter kept in the grain storage named "stories".</summary>
public sealed class CounterGrain([PersistentState("state", "stories")] IPersistentState<CounterState> counter) : Grain, ICounterGrain
{
    public async Task<int> Increment()
    {
        counter.State.Count++;
        counter.State.Note = $"incremented by {this.GetPrimaryKeyString()}";
        await counter.WriteStateAsync();
        return counter.State.Count;
    }

    public Task<int> Get() => Task.FromResult(counter.State.Count);

    public Task Clear() => counter.ClearStateAsync();
}

public interface IDefaultStorageCounterGrain : IGrainWithIntegerKey
{
    Task<int> Increment();
}

/// <summary>A counter kept in the default grain storage (no storage name).</summary>
public sealed class DefaultStorageCounterGrain([PersistentState("state")] IPersistentState<CounterState> counter) : Grain, IDefaultStorageCounterGrain
{
    public async Task<int> Increment()
    {
        counter.State.Count++;
        await counter.WriteStateAsync();
        return counter.State.Count;
    }
}
