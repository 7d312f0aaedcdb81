namespace TttCluster.Grains;

/// <summary>
/// Where a story's state at the start of each denoising step is kept, so a step can be redone after a silo dies.
/// In memory for the embedded default; blob storage (checkpoints/{story}/{step}/...) implements the same interface.
/// </summary>
public interface ICheckpointStore
{
    Task SaveAsync(string storyId, int step, float[] latents, CancellationToken cancel);
    Task<float[]?> LoadAsync(string storyId, int step, CancellationToken cancel);
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
}
