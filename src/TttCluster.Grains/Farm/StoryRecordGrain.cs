using Orleans.Placement;
using TttCluster.Abstractions;

namespace TttCluster.Grains.Farm;

/// <summary>The name of the grain storage that keeps the farm's records (a folder, or Azure tables).</summary>
public static class FarmStorage
{
    public const string Name = "farm";
}

/// <summary>A grain's persisted state: a class with a setter, as grain storage serialisers expect.</summary>
[GenerateSerializer]
public sealed class StoryRecordState
{
    [Id(0)] public StoryRecord? Record { get; set; }
}

/// <summary>
/// A submitted story's record, written to the farm's storage before the API says it is accepted, and after every change.
/// Placed on the silo of its caller (a gateway), where the farm's storage is configured.
/// </summary>
[PreferLocalPlacement]
public sealed class StoryRecordGrain([PersistentState("story", FarmStorage.Name)] IPersistentState<StoryRecordState> state) : Grain, IStoryRecordGrain
{
    async Task<StoryRecord> IStoryRecordGrain.CreateAsync(StoryRecord record, CancellationToken cancel)
    {
        if (record.Id != this.GetPrimaryKeyString())
            throw new ArgumentException($"story record '{this.GetPrimaryKeyString()}' was sent the record of story '{record.Id}'");
        if (state.State.Record is { } existing) return existing;
        state.State.Record = record;
        await state.WriteStateAsync(cancel);
        return record;
    }

    private static int Rank(string state) => state switch
    {
        StoryStates.Queued => 0,
        StoryStates.Rendering => 1,
        StoryStates.Encoding => 2,
        _ => 3,
    };

    Task<StoryRecord?> IStoryRecordGrain.GetAsync(CancellationToken cancel) => Task.FromResult(state.State.Record);

    async Task<StoryRecord> IStoryRecordGrain.UpdateAsync(string storyState, int stepsDone, string? error, CancellationToken cancel)
    {
        var record = state.State.Record ?? throw new InvalidOperationException($"story '{this.GetPrimaryKeyString()}' has no record to update");
        // States only move forward (queued, rendering, encoding, then a final one that stays): a late progress report
        // does not take an encoding story back to rendering, and a render that ends after its story was cancelled does
        // not make it done.
        if (StoryStates.IsFinal(record.State) || Rank(storyState) < Rank(record.State)) return record;
        var now = DateTimeOffset.UtcNow;
        int newStepsDone = Math.Max(record.StepsDone, stepsDone);
        var updated = record with
        {
            State = storyState,
            StepsDone = newStepsDone,
            // Steps over time (the dashboard's chart and ETA): a time for each step as it is recorded done.
            StepTimes = newStepsDone > (record.StepTimes?.Length ?? 0)
                ? [.. record.StepTimes ?? [], .. Enumerable.Repeat(now, newStepsDone - (record.StepTimes?.Length ?? 0))]
                : record.StepTimes,
            Error = error ?? record.Error,
            StartedAt = record.StartedAt ?? (storyState == StoryStates.Rendering ? now : null),
            FinishedAt = StoryStates.IsFinal(storyState) ? now : null,
        };
        if (updated == record) return record;
        state.State.Record = updated;
        await state.WriteStateAsync(cancel);
        return updated;
    }
}
