using Orleans.Placement;
using Orleans.Runtime;
using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;

namespace TttCluster.Grains;

/// <summary>
/// Drives one story across the worker silos: places its segments as contiguous ranges sized by capacity, then runs every
/// step with 4 × layers + 1 calls per silo; the segments sequence the two scans themselves, each pushing the state
/// straight to the next segment's silo. Each step starts from a checkpoint; when Orleans' membership declares a silo of
/// the placement dead, the step in flight is given up at once, the segments move to the survivors (new grains: the
/// attempt is part of their keys) and the step is redone (same bits). Placed on the silo of its first caller.
/// </summary>
[PreferLocalPlacement]
public sealed class CoordinatorGrain(ModelBundle model, ICheckpointStore checkpoints, IClusterMembershipService membership) : Grain, ICoordinatorGrain
{
    /// <summary>How many silo failures one story survives before giving up.</summary>
    public const int MaxFailures = 8;

    /// <summary>How long a failed call waits for the membership to declare a silo dead before it counts as a plain failure.</summary>
    public static readonly TimeSpan DeathDeclarationWait = TimeSpan.FromSeconds(15);

    private CancellationTokenSource? _stop;   // the render under way: StopAsync cancels it
    private ModelConfig Config => model.Config;

    Task ICoordinatorGrain.StopAsync(CancellationToken cancel)
    {
        _stop?.Cancel();
        return Task.CompletedTask;
    }

    async Task<RenderOutcome> ICoordinatorGrain.RenderLatentsAsync(StoryJob job, IStoryObserver? observer, CancellationToken cancel)
    {
        if (job.StoryId != this.GetPrimaryKeyString())
            throw new ArgumentException($"coordinator '{this.GetPrimaryKeyString()}' was sent the job of story '{job.StoryId}'");
        if (_stop is not null) throw new InvalidOperationException($"story {job.StoryId} is already being rendered");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _stop = stop;
        try
        {
            return await Render(job, observer, stop.Token);
        }
        finally
        {
            _stop = null;
        }
    }

    private async Task<RenderOutcome> Render(StoryJob job, IStoryObserver? observer, CancellationToken stop)
    {
        var layout = new SequenceLayout(Config, job.Segments);
        var schedule = new NoiseSchedule(job.Steps);
        // One-way: a watcher that went away costs the render nothing.
        void Say(int step, int layer, string phase, string silos = "") => observer?.OnProgressAsync([new SegmentProgress(job.StoryId, -1, step, layer, phase, silos)]);

        // The story's record: accepted now, a report after every step, done at the end. Segments report their progress to
        // it, and it passes them on to the observer.
        var story = GrainFactory.GetGrain<IStoryGrain>(job.StoryId);
        await story.BeginAsync(job.Steps, observer, stop);

        // From the noise, or from where an earlier render of the same job stopped (stopped, or its process died): the
        // steps that follow give the same bits either way.
        ulong fingerprint = JobFingerprint.Of(job);
        float[] latents = job.Noise.ToArray();
        int failures = 0, step = 0;
        if (await checkpoints.LatestAsync(job.StoryId, stop) is { } resumed && resumed.Fingerprint == fingerprint
            && resumed.Step > 0 && resumed.Step < job.Steps && resumed.Latents.Length == latents.Length)
        {
            (step, latents) = (resumed.Step, resumed.Latents);
            Say(step, 0, $"resumed at step {step + 1} from its checkpoint");
            await story.ReportAsync(new StoryStatus(job.StoryId, "rendering", step, job.Steps), stop);
        }
        string[]? placement = null;   // silo of each segment once placed; null until then and after a failure
        string attempt = "";           // the placement's id, part of its segments' keys (see NewAttempt)
        try
        {
            // The state at the start of each step is kept (here for the first, below for the others): if a silo dies during
            // the step, it is redone from there; if the render stops or its process dies, it resumes from there.
            await checkpoints.SaveAsync(job.StoryId, new Checkpoint(step, fingerprint, latents), stop);
            while (step < job.Steps)
            {
                try
                {
                    if (placement is null)
                    {
                        placement = await PlanAsync(job.StoryId, job.Segments, stop);
                        attempt = NewAttempt();
                        await PlaceAsync(job, layout, latents, placement, attempt, stop);
                    }
                    latents = await RunStepUnlessASiloDies(job, layout, schedule, step, placement, attempt, stop);
                }
                catch (Exception e) when (!stop.IsCancellationRequested && failures < MaxFailures)
                {
                    // Only a silo of this story's placement that the membership declares dead is worth a redo; any other failure
                    // (a bug, a deadline) is reported as it is. (Asked per story: with several stories on the silos, each sees
                    // the same death.)
                    string[] dead = placement is null ? [] : await DeadSilosAsync(placement, e, stop);
                    if (dead.Length == 0) throw;
                    failures++;
                    Say(step, 0, $"{SegmentProgress.SiloFailure} ({HowTheyWent(dead)}): redoing step {step + 1} on the silos still active",
                        silos: string.Join(",", dead));
                    latents = await checkpoints.LatestAsync(job.StoryId, stop) is { } saved && saved.Step == step ? saved.Latents
                        : throw new InvalidOperationException($"story {job.StoryId}: no checkpoint for step {step}", e);
                    // The survivors drop what they held of the attempt that failed: the new placement makes new grains.
                    await ReleaseAsync(job.StoryId, placement!, attempt);
                    placement = null;
                    continue;
                }
                step++;
                // Kept before the step is announced: whoever hears "step done" finds the step's latents in the checkpoint
                // (the dashboard's previews). The last step's latents are the render's answer.
                if (step < job.Steps) await checkpoints.SaveAsync(job.StoryId, new Checkpoint(step, fingerprint, latents), stop);
                // The silos report each segment's phases; only the coordinator knows when the whole step is done.
                Say(step - 1, Config.Layers - 1, "step done");
                await story.ReportAsync(new StoryStatus(job.StoryId, step == job.Steps ? "done" : "rendering", step, job.Steps), stop);
            }
            return new RenderOutcome(job.StoryId, Stopped: false, step, new FloatBlock(latents));
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // Stopped by the caller (whatever failed on the way out): hand back the latents of the last finished step.
            return new RenderOutcome(job.StoryId, Stopped: true, step, step > 0 ? new FloatBlock(latents) : null);
        }
        finally
        {
            // Finished, failed or stopped: the silos drop the story's segments; the story's record stays. The checkpoint
            // goes unless the render was stopped: then the next render of the job resumes from it (whoever stops a story
            // for good deletes it).
            if (placement is not null) await ReleaseAsync(job.StoryId, placement, attempt);
            if (!(step < job.Steps && stop.IsCancellationRequested)) await checkpoints.DeleteAsync(job.StoryId, CancellationToken.None);
            if (step < job.Steps)
                await Quietly(() => story.ReportAsync(new StoryStatus(job.StoryId, stop.IsCancellationRequested ? "cancelled" : "failed", step, job.Steps), CancellationToken.None));
        }
    }

    /// <summary>
    /// A new placement's id. Unique to the placement, not a count: a stopped render's segments may still be finishing a
    /// call, or have pushes on their way, when the next render of the same story places its own; with the same keys they
    /// would be the same grains, and a late call of the old render would run on the new render's state.
    /// </summary>
    private static string NewAttempt() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// How the silos went, in words: "left the cluster" while the membership shows one shutting down or stopping (SIGTERM:
    /// it said goodbye, nothing waited for failure detection), "declared dead" otherwise.
    /// </summary>
    private string HowTheyWent(string[] silos)
    {
        var members = membership.CurrentSnapshot.Members.Values;
        bool Leaving(string name) => members.Any(m => m.Name == name && m.Status is SiloStatus.ShuttingDown or SiloStatus.Stopping);
        return string.Join(", ", silos.Select(name => $"{name} {(Leaving(name) ? "left the cluster" : "declared dead")}"));
    }

    /// <summary>The names of the silos the membership holds active now.</summary>
    private HashSet<string> ActiveSiloNames() =>
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).ToHashSet();

    /// <summary>
    /// After a failed step: the silos of <paramref name="placement"/> that are no longer active. A call to a dead silo may
    /// fail before the membership has declared it dead, so a failure that came from the runtime waits for the declaration
    /// (a second or two with <see cref="SiloSetup.TuneMembership"/>); any other failure is judged at once.
    /// </summary>
    private async Task<string[]> DeadSilosAsync(string[] placement, Exception failure, CancellationToken stop)
    {
        bool fromRuntime = failure is OrleansException or TimeoutException or OperationCanceledException;
        var until = DateTime.UtcNow + (fromRuntime ? DeathDeclarationWait : TimeSpan.Zero);
        while (true)
        {
            var active = ActiveSiloNames();
            var dead = placement.Distinct().Where(name => !active.Contains(name)).ToArray();
            if (dead.Length > 0 || DateTime.UtcNow >= until) return dead;
            await Task.Delay(100, stop);
        }
    }

    /// <summary>
    /// Every active silo of <paramref name="placement"/> drops that attempt's segments (also when the attempt failed
    /// half-way): a failure here is dropped, and a dead silo's grains went with it.
    /// </summary>
    private async Task ReleaseAsync(string storyId, string[] placement, string attempt)
    {
        var active = ActiveSiloNames();
        await Task.WhenAll(BySilo(placement).Where(s => active.Contains(s.Silo)).Select(s =>
            Quietly(() => GrainFactory.GetGrain<ISiloGrain>(s.Silo).ReleaseAsync(new SiloShare(storyId, attempt, s.Segments), CancellationToken.None))));
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
        catch (Exception e) when (e is OrleansException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// Runs the step, but gives up on it as soon as the membership declares a silo of this story's placement dead (or
    /// stopping): the calls waiting on it would otherwise wait for their deadline. Cancelling them cancels their work on the
    /// living silos too (Orleans passes the cancellation on to the callee).
    /// </summary>
    private async Task<float[]> RunStepUnlessASiloDies(StoryJob job, SequenceLayout layout, NoiseSchedule schedule, int step, string[] siloOf, string attempt, CancellationToken stop)
    {
        using var stepCancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var stepDone = new CancellationTokenSource();
        var watcher = WatchPlacement(siloOf, stepCancel, stepDone.Token);
        try
        {
            return await RunStep(job, layout, schedule, step, siloOf, attempt, stepCancel.Token);
        }
        finally
        {
            stepDone.Cancel();
            await watcher;
        }
    }

    /// <summary>Cancels <paramref name="step"/> when a silo of the placement is no longer active in the membership.</summary>
    private async Task WatchPlacement(string[] siloOf, CancellationTokenSource step, CancellationToken stopWatching)
    {
        var names = siloOf.Distinct().ToArray();
        bool AnyLost(ClusterMembershipSnapshot snapshot)
        {
            var active = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).ToHashSet();
            return names.Any(name => !active.Contains(name));
        }
        try
        {
            if (AnyLost(membership.CurrentSnapshot)) { step.Cancel(); return; }
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stopWatching))
                if (AnyLost(snapshot)) { step.Cancel(); return; }
        }
        catch (OperationCanceledException) when (stopWatching.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// One denoising step, 4 × layers + 1 calls per silo: begin; for each layer the two scans (each called on every silo
    /// at once: the segments hand the state on by themselves) and two parallel phases; end, which returns the latents.
    /// Each part waits for all silos (a barrier), so a phase never competes for the cores with the serial scan.
    /// </summary>
    private async Task<float[]> RunStep(StoryJob job, SequenceLayout layout, NoiseSchedule schedule, int step, string[] siloOf, string attempt, CancellationToken cancel)
    {
        var bySilo = BySilo(siloOf).Select(s => (Silo: GrainFactory.GetGrain<ISiloGrain>(s.Silo), Share: new SiloShare(job.StoryId, attempt, s.Segments))).ToArray();
        // A part's calls fail together: a segment waiting for a push from a dead silo would otherwise wait for ever.
        Task<T[]> FromAllSilos<T>(Func<ISiloGrain, SiloShare, CancellationToken, Task<T>> call) =>
            FanOut.AllAsync(bySilo.Select<(ISiloGrain Silo, SiloShare Share), Func<CancellationToken, Task<T>>>(s => token => call(s.Silo, s.Share, token)), cancel);
        Task OnAllSilos(Func<ISiloGrain, SiloShare, CancellationToken, Task> call) =>
            FanOut.AllAsync(bySilo.Select<(ISiloGrain Silo, SiloShare Share), Func<CancellationToken, Task>>(s => token => call(s.Silo, s.Share, token)), cancel);

        // Begin (and the first attention), then per layer: forward scan, Z, reverse scan, and the block's end running
        // straight into the next layer's attention; the last layer's block ends with the step.
        var start = new StepStart(step, schedule.Timesteps[step]);
        await OnAllSilos((silo, share, token) => silo.BeginStepAsync(share, start, token));
        int last = Config.Layers - 1;
        for (int layer = 0; layer <= last; layer++)
        {
            int l = layer;
            await OnAllSilos((silo, share, token) => silo.ScanAsync(share, l, reverse: false, token));
            await OnAllSilos((silo, share, token) => silo.RunPhaseAsync(share, SegmentPhase.FinishForward, l, token));
            await OnAllSilos((silo, share, token) => silo.ScanAsync(share, l, reverse: true, token));
            if (l < last) await OnAllSilos((silo, share, token) => silo.RunPhaseAsync(share, SegmentPhase.FinishBlockThenAttention, l, token));
        }
        var end = new StepEnd(step, job.Steps, NoiseSchedule.GuidanceScale(step, job.Steps, job.Guidance, job.GuidancePower));
        var parts = await FromAllSilos((silo, share, token) => silo.EndStepAsync(share, last, end, token));

        int frameSize = Config.LatentFrameFloats;
        var latents = new float[layout.Frames * frameSize];
        for (int i = 0; i < bySilo.Length; i++)
        {
            var segments = bySilo[i].Share.Segments;
            int expected = segments.Sum(k => layout.OwnFrames(k)) * frameSize, at = 0;
            if (parts[i].Length != expected)
                throw new InvalidOperationException($"story {job.StoryId}: silo {siloOf[segments[0]]} returned {parts[i].Length} latent floats; its segments hold {expected}");
            foreach (int k in segments)
            {
                int length = layout.OwnFrames(k) * frameSize;
                parts[i].Span.Slice(at, length).CopyTo(latents.AsSpan(layout.FirstOwnFrame(k) * frameSize));
                at += length;
            }
        }
        return latents;
    }

    /// <summary>
    /// Which silo takes each segment: the active silos that take work (capacity above 0), in name order, each a contiguous
    /// range sized by its capacity. A silo that does not answer within seconds is left out.
    /// </summary>
    private async Task<string[]> PlanAsync(string storyId, int segments, CancellationToken cancel)
    {
        var names = ActiveSiloNames().Order(StringComparer.Ordinal).ToArray();
        var statuses = await Task.WhenAll(names.Select(async name =>
        {
            try { return await GrainFactory.GetGrain<ISiloGrain>(name).GetStatusAsync(cancel).WaitAsync(TimeSpan.FromSeconds(5), cancel); }
            catch (Exception e) when (e is OrleansException or TimeoutException) { return null; }
        }));
        var workers = statuses.Where(s => s is { Capacity: > 0 }).Select(s => s!).ToArray();
        if (workers.Length == 0)
            throw new SiloUnavailableException($"story {storyId}: no active silo takes work (of {names.Length} active: {string.Join(", ", names)})");
        return ContiguousPlacement.Assign(segments, workers.Select(s => s.Capacity).ToArray()).Select(i => workers[i].SiloName).ToArray();
    }

    /// <summary>Gives every segment of the attempt its text, latents and the placement; placement puts each on its silo.</summary>
    private async Task PlaceAsync(StoryJob job, SequenceLayout layout, float[] latents, string[] siloOf, string attempt, CancellationToken cancel)
    {
        int n = job.Segments, frameSize = Config.LatentFrameFloats, textFloats = Config.TextFloatsPerSegment;
        await Task.WhenAll(Enumerable.Range(0, n).Select(k =>
            GrainFactory.GetGrain<ISegmentGrain>(SegmentKeys.Of(job.StoryId, k, attempt, siloOf[k])).InitializeAsync(new SegmentSetup(job.StoryId, k, n,
                new FloatBlock(job.Cond.Span.Slice(k * textFloats, textFloats).ToArray()), new FloatBlock(job.Uncond.Span.Slice(k * textFloats, textFloats).ToArray()),
                new FloatBlock(latents.AsSpan(layout.FirstOwnFrame(k) * frameSize, layout.OwnFrames(k) * frameSize).ToArray()), attempt, siloOf), cancel)));
    }
}
