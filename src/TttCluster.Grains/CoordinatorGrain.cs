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
                await RunStep(job, schedule, step, Report, cancel);
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

        async Task RunStep(StoryJob job, NoiseSchedule schedule, int step, Action<int, int, int, string> report, CancellationToken cancel)
        {
            await Phase(SegmentPhase.BeginStep, 0, null, start: new StepStart(step, schedule.Timesteps[step]));
            for (int layer = 0; layer < config.Layers; layer++)
            {
                int l = layer;
                await Phase(SegmentPhase.Attend, l, k => report(k, step, l, "attention"));
                await Phase(SegmentPhase.PrepareForward, l, null);
                await ScanChain(l, reverse: false, k => report(k, step, l, "forward scan"));
                await Phase(SegmentPhase.FinishForward, l, null);
                await ScanChain(l, reverse: true, k => report(k, step, l, "reverse scan"));
                await Phase(SegmentPhase.FinishBlock, l, k => report(k, step, l, "mlp"));
            }
            double scale = NoiseSchedule.GuidanceScale(step, job.Steps, job.Guidance, job.GuidancePower);
            await Phase(SegmentPhase.EndStep, config.Layers - 1, k => report(k, step, config.Layers - 1, "step done"), end: new StepEnd(step, job.Steps, scale));

            // A phase on every segment at once, one call per silo (a barrier between phases).
            Task Phase(SegmentPhase phase, int layer, Action<int>? done, StepStart? start = null, StepEnd? end = null) =>
                Task.WhenAll(Enumerable.Range(0, n).GroupBy(k => siloOf[k]).Select(async onSilo =>
                {
                    int[] batch = onSilo.ToArray();
                    await grains.GetGrain<ISiloGrain>(onSilo.Key).RunPhaseAsync(new PhaseBatch(job.StoryId, batch, phase, layer, start, end), cancel);
                    if (done is not null) foreach (int k in batch) done(k);
                }));

            // One direction of the scan: the silos' runs of segments in scan order, one after another. Each segment
            // pushes the state to the next itself (no detour through here); this loop only says whose turn it is.
            async Task ScanChain(int layer, bool reverse, Action<int> done)
            {
                foreach (int[] run in ScanRuns(siloOf, reverse))
                {
                    await grains.GetGrain<ISiloGrain>(siloOf[run[0]]).ScanRangeAsync(new ScanBatch(job.StoryId, run, new ScanTurn(layer, reverse)), cancel);
                    foreach (int k in run) done(k);
                }
            }
        }
    }

    /// <summary>Consecutive segments on the same silo, in scan order (placement is contiguous: one run per silo).</summary>
    public static List<int[]> ScanRuns(IReadOnlyList<string> siloOf, bool reverse)
    {
        var order = reverse ? Enumerable.Range(0, siloOf.Count).Reverse() : Enumerable.Range(0, siloOf.Count);
        var runs = new List<int[]>();
        var current = new List<int>();
        foreach (int k in order)
        {
            if (current.Count > 0 && siloOf[current[^1]] != siloOf[k]) { runs.Add(current.ToArray()); current.Clear(); }
            current.Add(k);
        }
        if (current.Count > 0) runs.Add(current.ToArray());
        return runs;
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
}
