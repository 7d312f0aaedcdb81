using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// Renders a story on the cluster from outside the grains (the CLI, a test, a benchmark): one call to the story's
/// coordinator, its progress delivered through an observer, Ctrl-C turned into a stop that keeps the last finished step.
/// </summary>
public static class ClusterRender
{
    /// <summary>How often a stop is asked again until the coordinator says it stopped (the first may overtake the render call itself).</summary>
    private static readonly TimeSpan StopRetry = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a finished render waits for its last "step done" to reach the observer (it is there in milliseconds).</summary>
    private static readonly TimeSpan LastProgressPatience = TimeSpan.FromSeconds(2);

    /// <returns>The final latents.</returns>
    /// <exception cref="StoryCancelledException"><paramref name="cancel"/> stopped it; holds the last finished step's latents.</exception>
    public static async Task<float[]> RenderAsync(IGrainFactory grains, StoryJob job, IProgress<SegmentProgress>? progress, CancellationToken cancel)
    {
        var coordinator = grains.GetGrain<ICoordinatorGrain>(job.StoryId);
        var observer = progress is null ? null : new ProgressObserver(progress);
        var reference = observer is null ? null : grains.CreateObjectReference<IStoryObserver>(observer);
        try
        {
            var render = coordinator.RenderLatentsAsync(job, reference, CancellationToken.None);
            try
            {
                await render.WaitAsync(cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                while (!render.IsCompleted)
                {
                    await coordinator.StopAsync(CancellationToken.None);
                    await Task.WhenAny(render, Task.Delay(StopRetry, CancellationToken.None));
                }
            }
            var outcome = await render;
            // The render's answer can overtake its last progress message (one-way), and once the observer is gone below
            // that message is lost: a farm's watchers never heard the last "step done". Wait a moment for it.
            if (observer is not null && !outcome.Stopped)
            {
                var patience = DateTime.UtcNow + LastProgressPatience;
                while (observer.StepsDone < outcome.StepsDone && DateTime.UtcNow < patience) await Task.Delay(5, CancellationToken.None);
            }
            if (outcome.Stopped) throw new StoryCancelledException(job.StoryId, outcome.StepsDone, outcome.Latents?.Floats);
            return outcome.Latents?.Floats ?? throw new InvalidOperationException($"story {job.StoryId}: the coordinator finished without latents");
        }
        finally
        {
            if (reference is not null) grains.DeleteObjectReference<IStoryObserver>(reference);
            GC.KeepAlive(observer);   // the runtime holds an observer weakly: it must live as long as the render
        }
    }

    private sealed class ProgressObserver(IProgress<SegmentProgress> progress) : IStoryObserver
    {
        private int _stepsDone;

        /// <summary>Steps the coordinator has said are done, as far as this observer heard.</summary>
        public int StepsDone => Volatile.Read(ref _stepsDone);

        public Task OnProgressAsync(SegmentProgress[] events)
        {
            foreach (var e in events)
            {
                progress.Report(e);
                if (e.Segment < 0 && e.Phase == "step done") Volatile.Write(ref _stepsDone, Math.Max(_stepsDone, e.Step + 1));
            }
            return Task.CompletedTask;
        }
    }
}

/// <summary>A story stopped by its caller: how many steps finished, and the latents after the last one (none before the first).</summary>
public sealed class StoryCancelledException(string storyId, int stepsDone, float[]? latents)
    : OperationCanceledException($"story {storyId}: stopped after {stepsDone} finished steps")
{
    public int StepsDone { get; } = stepsDone;
    public float[]? Latents { get; } = latents;
}
