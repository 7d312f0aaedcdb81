namespace TttCluster.Grains;

/// <summary>A story's latents at the start of a denoising step, and which job they belong to.</summary>
/// <param name="Fingerprint">The job's <see cref="JobFingerprint"/>: a checkpoint of another job under the same story id is not resumed.</param>
public sealed record Checkpoint(int Step, ulong Fingerprint, float[] Latents);

/// <summary>
/// Where a story's state at the start of its latest denoising step is kept: a step is redone from it after a silo dies,
/// and a render that was stopped or whose process died resumes from it. In memory for one-shot renders; blob storage
/// (<c>checkpoints/{story}</c>) for the farm, where it outlives the processes.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Keeps <paramref name="checkpoint"/> as the story's latest, replacing the one before.</summary>
    Task SaveAsync(string storyId, Checkpoint checkpoint, CancellationToken cancel);

    /// <summary>The story's latest checkpoint, or null.</summary>
    Task<Checkpoint?> LatestAsync(string storyId, CancellationToken cancel);

    /// <summary>Forgets a story's checkpoint (it finished, failed, or was cancelled for good).</summary>
    Task DeleteAsync(string storyId, CancellationToken cancel);
}

/// <summary>Keeps the latest checkpoint of each story in memory.</summary>
public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Checkpoint> _latest = new();

    // Copies in and out: the coordinator goes on working on its own array.
    public Task SaveAsync(string storyId, Checkpoint checkpoint, CancellationToken cancel)
    {
        _latest[storyId] = checkpoint with { Latents = (float[])checkpoint.Latents.Clone() };
        return Task.CompletedTask;
    }

    public Task<Checkpoint?> LatestAsync(string storyId, CancellationToken cancel) =>
        Task.FromResult(_latest.TryGetValue(storyId, out var c) ? c with { Latents = (float[])c.Latents.Clone() } : null);

    public Task DeleteAsync(string storyId, CancellationToken cancel)
    {
        _latest.TryRemove(storyId, out _);
        return Task.CompletedTask;
    }
}

/// <summary>What identifies a job's content (text tokens, noise, sampler settings), so a checkpoint is only resumed by its own job.</summary>
public static class JobFingerprint
{
    /// <summary>FNV-1a over the job's floats and settings: cheap (a few ms for CogVideoX5B's latents) and stable across processes.</summary>
    public static ulong Of(TttCluster.Abstractions.StoryJob job)
    {
        ulong hash = 14695981039346656037UL;
        void Add(ReadOnlySpan<byte> bytes)
        {
            foreach (byte b in bytes) hash = (hash ^ b) * 1099511628211UL;
        }
        Add(System.Runtime.InteropServices.MemoryMarshal.AsBytes(job.Cond.Span));
        Add(System.Runtime.InteropServices.MemoryMarshal.AsBytes(job.Uncond.Span));
        Add(System.Runtime.InteropServices.MemoryMarshal.AsBytes(job.Noise.Span));
        Add(BitConverter.GetBytes(job.Segments));
        Add(BitConverter.GetBytes(job.Steps));
        Add(BitConverter.GetBytes(job.Guidance));
        Add(BitConverter.GetBytes(job.GuidancePower));
        return hash;
    }
}
