namespace TttCluster.Grains;

/// <summary>
/// Where a story's state at the start of each denoising step is kept, so a step can be redone after a silo dies.
/// In memory for the embedded default; blob storage (checkpoints/{story}/{step}/...) implements the same interface.
/// </summary>
public interface ICheckpointStore
{
    Task SaveAsync(string storyId, int step, float[] latents, CancellationToken cancel);
    Task<float[]?> LoadAsync(string storyId, int step, CancellationToken cancel);

    /// <summary>Forgets a story's checkpoints (it finished, or gave up).</summary>
    Task DeleteAsync(string storyId, CancellationToken cancel);

    /// <summary>How many stories have checkpoints now.</summary>
    int Count { get; }
}

/// <summary>Keeps the latest checkpoint of each story in memory.</summary>
public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (int Step, float[] Latents)> _latest = new();

    public Task SaveAsync(string storyId, int step, float[] latents, CancellationToken cancel)
    {
        _latest[storyId] = (step, (float[])latents.Clone());
        return Task.CompletedTask;
    }

    public Task<float[]?> LoadAsync(string storyId, int step, CancellationToken cancel) =>
        Task.FromResult(_latest.TryGetValue(storyId, out var c) && c.Step == step ? (float[]?)c.Latents.Clone() : null);

    public Task DeleteAsync(string storyId, CancellationToken cancel)
    {
        _latest.TryRemove(storyId, out _);
        return Task.CompletedTask;
    }

    public int Count => _latest.Count;
}
