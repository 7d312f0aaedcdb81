using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Runtime;

namespace TttCluster.Grains;

/// <summary>
/// Drives one story across the silos: places its segments as contiguous ranges, then for every step and layer runs the
/// per-segment phases in parallel and the two scans in order, handing the scan state from segment to segment.
/// </summary>
public sealed class CoordinatorGrain(ModelConfig config, IGrainFactory grains, ISiloRoster roster) : ICoordinatorGrain
{
    async Task<float[]> ICoordinatorGrain.RenderLatentsAsync(StoryJob job, IProgress<SegmentProgress>? progress, CancellationToken cancel)
    {
        var layout = new SequenceLayout(config, job.Segments);
        int n = job.Segments;
        var silos = roster.Silos;
        int[] plan = ContiguousPlacement.Assign(n, silos.Select(s => s.Capacity).ToArray());
        string Key(int k) => $"{job.StoryId}/{k}";
        await roster.PlaceAsync(Enumerable.Range(0, n).ToDictionary(Key, k => plan[k]), cancel);
        var segments = Enumerable.Range(0, n).Select(k => grains.GetGrain<ISegmentGrain>(Key(k))).ToArray();
        void Report(int k, int step, int layer, string phase) =>
            progress?.Report(new SegmentProgress(job.StoryId, k, step, layer, phase, silos[plan[k]].Id));

        int frameSize = config.LatentChannels * config.LatentHeight * config.LatentWidth, textFloats = config.TextTokensPerSegment * config.TextDim;
        await Task.WhenAll(Enumerable.Range(0, n).Select(k => segments[k].InitializeAsync(new SegmentSetup(job.StoryId, k, n,
            job.Cond.AsSpan(k * textFloats, textFloats).ToArray(), job.Uncond.AsSpan(k * textFloats, textFloats).ToArray(),
            job.Noise.AsSpan(layout.FirstOwnFrame(k) * frameSize, layout.OwnFrames(k) * frameSize).ToArray()), cancel)));

        var schedule = new NoiseSchedule(job.Steps);
        for (int step = 0; step < job.Steps; step++)
        {
            await All(s => s.BeginStepAsync(new StepStart(step, schedule.Timesteps[step]), cancel));
            for (int layer = 0; layer < config.Layers; layer++)
            {
                int l = layer, i = step;
                await All(s => s.AttendAsync(l, cancel), k => Report(k, i, l, "attention"));
                await All(s => s.PrepareForwardAsync(l, cancel));
                await ScanChain(segments, layout, l, reverse: false, k => Report(k, i, l, "forward scan"), cancel);
                await All(s => s.FinishForwardAsync(l, cancel));
                await ScanChain(segments, layout, l, reverse: true, k => Report(k, i, l, "reverse scan"), cancel);
                await All(s => s.FinishBlockAsync(l, cancel), k => Report(k, i, l, "mlp"));
            }
            double scale = NoiseSchedule.GuidanceScale(step, job.Steps, job.Guidance, job.GuidancePower);
            int current = step;
            await All(s => s.EndStepAsync(new StepEnd(current, job.Steps, scale), cancel), k => Report(k, current, config.Layers - 1, "step done"));
        }

        var latents = new float[job.Noise.Length];
        for (int k = 0; k < n; k++)
            (await segments[k].GetLatentsAsync(cancel)).CopyTo(latents, layout.FirstOwnFrame(k) * frameSize);
        return latents;

        // Runs a phase on every segment at once and waits for all (a barrier between phases).
        async Task All(Func<ISegmentGrain, Task> call, Action<int>? done = null) =>
            await Task.WhenAll(Enumerable.Range(0, n).Select(async k => { await call(segments[k]); done?.Invoke(k); }));
    }

    /// <summary>
    /// One direction of the scan: segment by segment, the state bytes go from each run to the next. Outputs of tokens
    /// whose mini-batch straddled a boundary go back to the segment that owns them.
    /// In this process the bytes move by reference; the process transport sends them from silo to silo.
    /// </summary>
    private static async Task ScanChain(ISegmentGrain[] segments, SequenceLayout layout, int layer, bool reverse, Action<int> done, CancellationToken cancel)
    {
        byte[]? state = null;
        var order = reverse ? Enumerable.Range(0, layout.Segments).Reverse() : Enumerable.Range(0, layout.Segments);
        foreach (int k in order)
        {
            var handOff = await segments[k].ScanAsync(new ScanTurn(layer, reverse, state), cancel);
            foreach (var outputs in handOff.ForEarlierSegments)
                await segments[outputs.Segment].DeliverScanOutputAsync(outputs, cancel);
            state = handOff.State;
            done(k);
        }
    }
}
