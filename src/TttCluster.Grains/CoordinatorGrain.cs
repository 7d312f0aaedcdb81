using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Runtime;

namespace TttCluster.Grains;

/// <summary>
/// Drives one story across the silos: places its segments as contiguous ranges, then for every step and layer runs the
/// per-segment phases in parallel and the two scans in order, handing the scan state from segment to segment. Each step
/// starts from a checkpoint; when a silo dies, the segments move to the survivors and the step is redone (same bits).
/// </summary>
public sealed class CoordinatorGrain(ModelConfig config, IGrainFactory grains, ISiloRoster roster, ICheckpointStore checkpoints) : ICoordinatorGrain
{
    /// <summary>How many silo failures one story survives before giving up.</summary>
    public const int MaxFailures = 8;

    async Task<float[]> ICoordinatorGrain.RenderLatentsAsync(StoryJob job, IProgress<SegmentProgress>? progress, CancellationToken cancel)
    {
        var layout = new SequenceLayout(config, job.Segments);
        int n = job.Segments;
        var schedule = new NoiseSchedule(job.Steps);
        string Key(int k) => $"{job.StoryId}/{k}";
        var segments = Enumerable.Range(0, n).Select(k => grains.GetGrain<ISegmentGrain>(Key(k))).ToArray();
        int[] plan = [];
        string[] siloOf = [];
        void Report(int k, int step, int layer, string phase) => progress?.Report(new SegmentProgress(job.StoryId, k, step, layer, phase, siloOf[k]));

        // The story's record: accepted now, a report after every step, done at the end.
        var story = grains.GetGrain<IStoryGrain>(job.StoryId);
        await story.SubmitAsync(job, cancel);

        float[] latents = (float[])job.Noise.Clone();
        bool placed = false;
        int failures = 0;
        for (int step = 0; step < job.Steps;)
        {
            // The state at the start of the step: if a silo dies during it, the step is redone from here.
            await checkpoints.SaveAsync(job.StoryId, step, latents, cancel);
            try
            {
                if (!placed)
                {
                    (plan, siloOf) = await PlaceAsync(job, layout, latents, segments, Key, attempt: failures, cancel);
                    placed = true;
                }
                await RunStep(job, schedule, step, segments, Report, cancel);
                latents = await GatherAsync(layout, segments, cancel);
                step++;
                await story.ReportAsync(new StoryStatus(job.StoryId, step == job.Steps ? "done" : "rendering", step, job.Steps), cancel);
            }
            catch (GrainCallException e) when (!cancel.IsCancellationRequested && failures < MaxFailures)
            {
                failures++;
                int dead = await roster.ProbeAsync(cancel);
                // Only a dead silo is worth a redo; any other failure (a bug, a deadline) is reported as it is.
                if (dead == 0) throw;
                if (roster.Silos.Count == 0) throw new GrainCallException($"story {job.StoryId}: every silo is dead", e);
                progress?.Report(new SegmentProgress(job.StoryId, -1, step, 0, $"silo failure ({dead} declared dead): redoing step {step + 1} on {roster.Silos.Count} silos", ""));
                latents = await checkpoints.LoadAsync(job.StoryId, step, cancel)
                    ?? throw new InvalidOperationException($"story {job.StoryId}: no checkpoint for step {step}", e);
                placed = false;
            }
        }
        return latents;

        async Task RunStep(StoryJob job, NoiseSchedule schedule, int step, ISegmentGrain[] segments, Action<int, int, int, string> report, CancellationToken cancel)
        {
            await All(s => s.BeginStepAsync(new StepStart(step, schedule.Timesteps[step]), cancel));
            for (int layer = 0; layer < config.Layers; layer++)
            {
                int l = layer;
                await All(s => s.AttendAsync(l, cancel), k => report(k, step, l, "attention"));
                await All(s => s.PrepareForwardAsync(l, cancel));
                await ScanChain(segments, layout, l, reverse: false, k => report(k, step, l, "forward scan"), cancel);
                await All(s => s.FinishForwardAsync(l, cancel));
                await ScanChain(segments, layout, l, reverse: true, k => report(k, step, l, "reverse scan"), cancel);
                await All(s => s.FinishBlockAsync(l, cancel), k => report(k, step, l, "mlp"));
            }
            double scale = NoiseSchedule.GuidanceScale(step, job.Steps, job.Guidance, job.GuidancePower);
            await All(s => s.EndStepAsync(new StepEnd(step, job.Steps, scale), cancel), k => report(k, step, config.Layers - 1, "step done"));
        }

        // Runs a phase on every segment at once and waits for all (a barrier between phases).
        async Task All(Func<ISegmentGrain, Task> call, Action<int>? done = null) =>
            await Task.WhenAll(Enumerable.Range(0, n).Select(async k => { await call(segments[k]); done?.Invoke(k); }));
    }

    /// <summary>Places the segments on the living silos as contiguous ranges and gives each its text and latents.</summary>
    private async Task<(int[] Plan, string[] SiloOf)> PlaceAsync(StoryJob job, SequenceLayout layout, float[] latents,
        ISegmentGrain[] segments, Func<int, string> key, int attempt, CancellationToken cancel)
    {
        int n = job.Segments;
        var silos = roster.Silos;
        int[] plan = ContiguousPlacement.Assign(n, silos.Select(s => s.Capacity).ToArray());
        await roster.PlaceAsync(Enumerable.Range(0, n).ToDictionary(key, k => silos[plan[k]].Id), cancel);
        int frameSize = config.LatentChannels * config.LatentHeight * config.LatentWidth, textFloats = config.TextTokensPerSegment * config.TextDim;
        await Task.WhenAll(Enumerable.Range(0, n).Select(k => segments[k].InitializeAsync(new SegmentSetup(job.StoryId, k, n,
            job.Cond.AsSpan(k * textFloats, textFloats).ToArray(), job.Uncond.AsSpan(k * textFloats, textFloats).ToArray(),
            latents.AsSpan(layout.FirstOwnFrame(k) * frameSize, layout.OwnFrames(k) * frameSize).ToArray(), attempt), cancel)));
        return (plan, plan.Select(i => silos[i].Id).ToArray());
    }

    private async Task<float[]> GatherAsync(SequenceLayout layout, ISegmentGrain[] segments, CancellationToken cancel)
    {
        int frameSize = config.LatentChannels * config.LatentHeight * config.LatentWidth;
        var latents = new float[layout.Frames * frameSize];
        var parts = await Task.WhenAll(segments.Select(s => s.GetLatentsAsync(cancel)));
        for (int k = 0; k < parts.Length; k++) parts[k].CopyTo(latents, layout.FirstOwnFrame(k) * frameSize);
        return latents;
    }

    /// <summary>
    /// One direction of the scan: segment by segment, in order. Each segment pushes the state to the next segment's silo
    /// itself (no detour through here) and returns when it has; this loop only says whose turn it is.
    /// </summary>
    private static async Task ScanChain(ISegmentGrain[] segments, SequenceLayout layout, int layer, bool reverse, Action<int> done, CancellationToken cancel)
    {
        var order = reverse ? Enumerable.Range(0, layout.Segments).Reverse() : Enumerable.Range(0, layout.Segments);
        foreach (int k in order)
        {
            await segments[k].ScanAsync(new ScanTurn(layer, reverse), cancel);
            done(k);
        }
    }
}
