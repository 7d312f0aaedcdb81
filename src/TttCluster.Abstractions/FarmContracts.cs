namespace TttCluster.Abstractions;

/// <summary>Where a story submitted to the farm is. Done, failed and cancelled are final.</summary>
public static class StoryStates
{
    public const string Queued = "queued", Rendering = "rendering", Encoding = "encoding", Done = "done", Failed = "failed", Cancelled = "cancelled";

    public static bool IsFinal(string state) => state is Done or Failed or Cancelled;
}

/// <summary>
/// A story the farm accepted, kept in grain storage (a folder, or Azure tables) from the moment it is accepted: what was
/// asked (the story as submitted), whose it is, and how far it got.
/// </summary>
/// <param name="Source">The story document exactly as submitted (YAML or JSON).</param>
[GenerateSerializer, Immutable]
/// <param name="StepTimes">When each finished step was recorded (index: step − 1); null before the first.</param>
public sealed record StoryRecord(string Id, string Tenant, string Source, int Priority, string State, int StepsDone, int Steps,
    int Segments, DateTimeOffset SubmittedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error,
    DateTimeOffset[]? StepTimes = null);

/// <summary>A story waiting for the silos, or rendering.</summary>
/// <param name="Sequence">Order of arrival in the queue (equal priorities are served oldest first).</param>
[GenerateSerializer, Immutable]
public sealed record QueueEntry(string StoryId, string Tenant, int Priority, long Sequence);

/// <summary>A submitted story's record (key: story id), persisted.</summary>
public interface IStoryRecordGrain : IGrainWithStringKey
{
    /// <summary>Stores the record if there is none yet and returns what is stored (so a repeated submission changes nothing).</summary>
    Task<StoryRecord> CreateAsync(StoryRecord record, CancellationToken cancel);

    /// <summary>The record, or null when no story has this id.</summary>
    Task<StoryRecord?> GetAsync(CancellationToken cancel);

    /// <summary>Moves the story to <paramref name="state"/>; a final state is never left. Returns the record as stored.</summary>
    Task<StoryRecord> UpdateAsync(string state, int stepsDone, string? error, CancellationToken cancel);
}

/// <summary>A tenant's stories in submission order (key: tenant), persisted.</summary>
public interface ITenantGrain : IGrainWithStringKey
{
    Task AddStoryAsync(string storyId, CancellationToken cancel);

    /// <summary>Story ids, newest first, from <paramref name="offset"/>; and how many there are in all.</summary>
    Task<(string[] Ids, int Total)> ListAsync(int offset, int limit, CancellationToken cancel);
}

/// <summary>
/// The farm's queue (one grain, key "farm"), persisted: stories waiting, by priority, then fairly across tenants, then
/// oldest first; and the stories taken for rendering, so that after a restart they are taken again.
/// </summary>
public interface IQueueGrain : IGrainWithStringKey
{
    /// <summary>Queues the story behind everything that arrived before it (nothing happens if it is queued already).</summary>
    Task EnqueueAsync(string storyId, string tenant, int priority, CancellationToken cancel);

    /// <summary>The next story to render, now counted as rendering; null when none waits.</summary>
    Task<QueueEntry?> TakeAsync(CancellationToken cancel);

    /// <summary>The story is no longer waiting nor rendering (finished, failed, cancelled). False: it was in neither.</summary>
    Task<bool> RemoveAsync(string storyId, CancellationToken cancel);

    /// <summary>After a restart: every story that was rendering waits again, first in line (nothing rendered them since).</summary>
    Task<int> RequeueRenderingAsync(CancellationToken cancel);

    /// <summary>How many wait, and how many render.</summary>
    Task<(int Waiting, int Rendering)> CountAsync(CancellationToken cancel);
}
