using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Runtime;

namespace TttCluster.Grains;

/// <summary>
/// Drives one story across the silos: places its segments as contiguous ranges, then runs every step with 4 × layers + 1
/// calls per silo; the segments sequence the two scans themselves, each pushing the state
/// straight to the next segment's silo. Each step starts from a checkpoint; when a silo dies, the segments move to
/// the survivors and the step is redone (same bits).
/// </summary>
public sealed class CoordinatorGrain(ModelConfig config, IGrainFactory grains, ISiloRoster roster, ICheckpointStore checkpoints,
    ProgressSubscriptions subscriptions) : ICoordinatorGrain
{
    /// <summary>How many silo failures one story survives before giving up.</summary>
    public const int MaxFailures = 8;

    async Task<float[]> ICoordinatorGrain.RenderLatentsAsync(StoryJob job, IProgress<SegmentProgress>? progress, CancellationToken cancel)
    {
        var layout = new SequenceLayout(config, job.Segments);
        var schedule = new NoiseSchedule(job.Steps);
        var segments = Enumerable.Range(0, job.Segments).Select(k => grains.GetGrain<ISegmentGrain>(SiloGrain.SegmentKey(job.StoryId, k))).ToArray();
        // Segments report their progress to the story grain as they go; the caller hears it from there.
        using var subscription = progress is null ? null : subscriptions.Subscribe(job.StoryId, progress);

        // The story's record: accepted now, a report after every step, done at the end.
        var story = grains.GetGrain<IStoryGrain>(job.StoryId);
        await story.SubmitAsync(job, cancel);

        float[] latents = (float[])job.Noise.Clone();
        string[]? placement = null;   // silo of each segment once placed; null until then and after a failure
        int failures = 0, step = 0;
        try
        {
            while (step < job.Steps)
            {
                // The state at the start of the step: if a silo dies during it, the step is redone from here.
                await checkpoints.SaveAsync(job.StoryId, step, latents, cancel);
                try
                {
                    if (placement is null)
                    {
                        placement = Plan(job.Segments);
                        await PlaceAsync(job, layout, latents, segments, placement, attempt: failures, cancel);
                    }
                    latents = await RunStepUnlessASiloDies(job, layout, schedule, step, placement, cancel);
                }
                catch (GrainCallException e) when (!cancel.IsCancellationRequested && failures < MaxFailures)
                {
                    failures++;
                    await roster.ProbeAsync(cancel);
                    // Only a dead silo of this story's placement is worth a redo; any other failure (a bug, a deadline) is
                    // reported as it is. (Asked per story: with several stories on the silos, each sees the same death.)
                    int dead = placement is null ? 0 : DeadSilos(placement);
                    if (dead == 0) throw;
                    int living = roster.Silos.Count;
                    if (living == 0) throw new GrainCallException($"story {job.StoryId}: every silo is dead", e);
                    progress?.Report(new SegmentProgress(job.StoryId, -1, step, 0, $"silo failure ({dead} declared dead): redoing step {step + 1} on {living} silos", ""));
                    latents = await checkpoints.LoadAsync(job.StoryId, step, cancel)
                        ?? throw new InvalidOperationException($"story {job.StoryId}: no checkpoint for step {step}", e);
                    // The survivors drop what they held of the earlier attempts: the new placement activates afresh.
                    await ReleaseAsync(job.StoryId, placement!, attempt: failures);
                    placement = null;
                    continue;
                }
                // The silos report each segment's phases; only the coordinator knows when the whole step is done.
                progress?.Report(new SegmentProgress(job.StoryId, -1, step, config.Layers - 1, "step done", ""));
                step++;
                await story.ReportAsync(new StoryStatus(job.StoryId, step == job.Steps ? "done" : "rendering", step, job.Steps), cancel);
            }
            return latents;
        }
        catch (Exception e) when (cancel.IsCancellationRequested)
        {
            // Stopped by the caller (whatever failed on the way out): hand back the latents of the last finished step.
            throw new StoryCancelledException(job.StoryId, step, step > 0 ? latents : null, e);
        }
        finally
        {
            // Finished, failed or cancelled: every silo drops the story (its segments, its directory entries), the
            // checkpoints go; the story's record stays.
            await Task.WhenAll(roster.Silos.Select(s => Quietly(() => grains.GetGrain<ISiloGrain>(s.Id).ForgetStoryAsync(job.StoryId, job.Segments, CancellationToken.None))));
            if (grains is IGrainDirectory directory)
                for (int k = 0; k < job.Segments; k++) directory.Forget(typeof(ISegmentGrain), SiloGrain.SegmentKey(job.StoryId, k));
            await checkpoints.DeleteAsync(job.StoryId, CancellationToken.None);
            if (step < job.Steps)
                await Quietly(() => story.ReportAsync(new StoryStatus(job.StoryId, cancel.IsCancellationRequested ? "cancelled" : "failed", step, job.Steps), CancellationToken.None));
        }
    }

    /// <summary>
    /// Before a re-placement: every living silo of the placement last tried (all of it, also when it failed half-way)
    /// drops that story's segments of attempts before <paramref name="attempt"/>.
    /// </summary>
    private async Task ReleaseAsync(string storyId, string[] placement, int attempt)
    {
        var living = LivingSilos();
        await Task.WhenAll(BySilo(placement).Where(s => living.Contains(s.Silo)).Select(s =>
            Quietly(() => grains.GetGrain<ISiloGrain>(s.Silo).ReleaseAsync(storyId, s.Segments, attempt, CancellationToken.None))));
    }

    private HashSet<string> LivingSilos() => roster.Silos.Select(s => s.Id).ToHashSet();

    /// <summary>How many silos of <paramref name="placement"/> the membership has declared dead.</summary>
    private int DeadSilos(string[] placement)
    {
        var living = LivingSilos();
        return placement.Distinct().Count(id => !living.Contains(id));
    }

    /// <summary>Each silo of <paramref name="placement"/> with its segments, in segment order.</summary>
    private static (string Silo, int[] Segments)[] BySilo(string[] placement) =>
        Enumerable.Range(0, placement.Length).GroupBy(k => placement[k]).Select(g => (g.Key, g.ToArray())).ToArray();

    /// <summary>Housekeeping that must not hide the story's own outcome: a failure here is dropped.</summary>
    private static async Task Quietly(Func<Task> call)
    {
        try
        {
            await call().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is GrainCallException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// Runs the step, but gives up on it as soon as the membership declares dead a silo this story is placed on
    /// (heartbeats find a hung silo within seconds; the calls waiting on it would otherwise wait for their deadline).
    /// </summary>
    private async Task<float[]> RunStepUnlessASiloDies(StoryJob job, SequenceLayout layout, NoiseSchedule schedule, int step, string[] siloOf, CancellationToken cancel)
    {
        using var stepCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var stepDone = new CancellationTokenSource();
        var watcher = WatchPlacement(siloOf, stepCancel, stepDone.Token);
        try
        {
            return await RunStep(job, layout, schedule, step, siloOf, stepCancel.Token);
        }
        // Only the caller's token and the watcher cancel the step (the watcher may not have returned yet: its Cancel() runs
        // this before it does).
        catch (OperationCanceledException e) when (!cancel.IsCancellationRequested && stepCancel.IsCancellationRequested)
        {
            throw new GrainCallException($"story {job.StoryId}: a silo it is placed on was declared dead during step {step + 1}", e);
        }
        finally
        {
            stepDone.Cancel();
            await watcher;
        }
    }

    /// <summary>Cancels <paramref name="step"/> when a silo of the placement is declared dead.</summary>
    private async Task WatchPlacement(string[] siloOf, CancellationTokenSource step, CancellationToken stop)
    {
        while (true)
        {
            var lost = roster.SiloLost;   // read before looking, so a death in between is not missed
            if (DeadSilos(siloOf) > 0)
            {
                step.Cancel();
                return;
            }
            using var either = CancellationTokenSource.CreateLinkedTokenSource(lost, stop);
            try { await Task.Delay(Timeout.Infinite, either.Token); }
            catch (OperationCanceledException) { }
            if (stop.IsCancellationRequested) return;
        }
    }

    /// <summary>
    /// One denoising step, 4 × layers + 1 calls per silo: begin; for each layer the two scans (each called on every silo
    /// at once: the segments hand the state on by themselves) and two parallel phases; end, which returns the latents.
    /// Each part waits for all silos (a barrier), so a phase never competes for the cores with the serial scan.
    /// </summary>
    private async Task<float[]> RunStep(StoryJob job, SequenceLayout layout, NoiseSchedule schedule, int step, string[] siloOf, CancellationToken cancel)
    {
        var bySilo = BySilo(siloOf).Select(s => (Silo: grains.GetGrain<ISiloGrain>(s.Silo), s.Segments)).ToArray();
        // A part's calls fail together: a segment waiting for a push from a dead silo would otherwise wait for ever.
        Task<T[]> FromAllSilos<T>(Func<ISiloGrain, int[], CancellationToken, Task<T>> call) =>
            FanOut.AllAsync(bySilo.Select<(ISiloGrain Silo, int[] Segments), Func<CancellationToken, Task<T>>>(s => token => call(s.Silo, s.Segments, token)), cancel);
        Task OnAllSilos(Func<ISiloGrain, int[], CancellationToken, Task> call) =>
            FanOut.AllAsync(bySilo.Select<(ISiloGrain Silo, int[] Segments), Func<CancellationToken, Task>>(s => token => call(s.Silo, s.Segments, token)), cancel);

        // Begin (and the first attention), then per layer: forward scan, Z, reverse scan, and the block's end running
        // straight into the next layer's attention; the last layer's block ends with the step.
        var start = new StepStart(step, schedule.Timesteps[step]);
        await OnAllSilos((silo, segments, token) => silo.BeginStepAsync(job.StoryId, segments, start, token));
        int last = config.Layers - 1;
        for (int layer = 0; layer <= last; layer++)
        {
            int l = layer;
            await OnAllSilos((silo, segments, token) => silo.ScanAsync(job.StoryId, segments, l, reverse: false, token));
            await OnAllSilos((silo, segments, token) => silo.RunPhaseAsync(job.StoryId, segments, SegmentPhase.FinishForward, l, token));
            await OnAllSilos((silo, segments, token) => silo.ScanAsync(job.StoryId, segments, l, reverse: true, token));
            if (l < last) await OnAllSilos((silo, segments, token) => silo.RunPhaseAsync(job.StoryId, segments, SegmentPhase.FinishBlockThenAttention, l, token));
        }
        var end = new StepEnd(step, job.Steps, NoiseSchedule.GuidanceScale(step, job.Steps, job.Guidance, job.GuidancePower));
        var parts = await FromAllSilos((silo, segments, token) => silo.EndStepAsync(job.StoryId, segments, last, end, token));

        int frameSize = config.LatentFrameFloats;
        var latents = new float[layout.Frames * frameSize];
        for (int i = 0; i < bySilo.Length; i++)
        {
            int expected = bySilo[i].Segments.Sum(k => layout.OwnFrames(k)) * frameSize, at = 0;
            if (parts[i].Length != expected)
                throw new GrainCallException($"story {job.StoryId}: silo {siloOf[bySilo[i].Segments[0]]} returned {parts[i].Length} latent floats; its segments hold {expected}");
            foreach (int k in bySilo[i].Segments)
            {
                int length = layout.OwnFrames(k) * frameSize;
                parts[i].AsSpan(at, length).CopyTo(latents.AsSpan(layout.FirstOwnFrame(k) * frameSize));
                at += length;
            }
        }
        return latents;
    }

    /// <summary>Which living silo takes each segment: contiguous ranges sized by capacity.</summary>
    private string[] Plan(int segments)
    {
        var silos = roster.Silos;
        return ContiguousPlacement.Assign(segments, silos.Select(s => s.Capacity).ToArray()).Select(i => silos[i].Id).ToArray();
    }

    /// <summary>Routes every segment to its silo and gives each its text and latents.</summary>
    private async Task PlaceAsync(StoryJob job, SequenceLayout layout, float[] latents, ISegmentGrain[] segments, string[] siloOf, int attempt, CancellationToken cancel)
    {
        int n = job.Segments;
        await roster.PlaceAsync(job.StoryId, Enumerable.Range(0, n).ToDictionary(k => SiloGrain.SegmentKey(job.StoryId, k), k => siloOf[k]), cancel);
        int frameSize = config.LatentFrameFloats, textFloats = config.TextFloatsPerSegment;
        await Task.WhenAll(Enumerable.Range(0, n).Select(k => segments[k].InitializeAsync(new SegmentSetup(job.StoryId, k, n,
            job.Cond.AsSpan(k * textFloats, textFloats).ToArray(), job.Uncond.AsSpan(k * textFloats, textFloats).ToArray(),
            latents.AsSpan(layout.FirstOwnFrame(k) * frameSize, layout.OwnFrames(k) * frameSize).ToArray(), attempt), cancel)));
    }
}

/// <summary>A story stopped by its caller: how many steps finished, and the latents after the last one (none before the first).</summary>
public sealed class StoryCancelledException(string storyId, int stepsDone, float[]? latents, Exception inner)
    : OperationCanceledException($"story {storyId}: stopped after {stepsDone} finished steps", inner)
{
    public int StepsDone { get; } = stepsDone;
    public float[]? Latents { get; } = latents;
}
