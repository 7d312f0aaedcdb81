using TttCluster.Abstractions;
using TttCluster.Model.Ttt;

namespace TttCluster.Grains;

/// <summary>
/// A silo's own grain (key: the silo's name; placed on that silo): its capacity and how many segments it holds, and the
/// entry point through which a coordinator runs each part of a step on all of a story's segments here in one call. It
/// keeps no state, so its calls interleave: several stories run here at once.
/// </summary>
[OnNamedSiloPlacement]
public sealed class SiloGrain(SiloIdentity silo, SegmentCount segments, ProgressRelay progress, ScanGroups groups) : Grain, ISiloGrain
{
    Task<SiloWorkload> ISiloGrain.GetStatusAsync(CancellationToken cancel) =>
        Task.FromResult(new SiloWorkload(silo.Name, silo.Capacity, segments.Active, segments.Stories,
            Environment.CpuUsage.TotalTime.TotalSeconds, Environment.ProcessorCount));

    Task ISiloGrain.BeginStepAsync(SiloShare share, StepStart start, CancellationToken cancel) =>
        OnEach(share, async (segment, token) =>
        {
            await segment.BeginStepAsync(start, token);
            await AttentionAndScanInputs(segment, 0, token);
        }, cancel);

    Task ISiloGrain.RunPhaseAsync(SiloShare share, SegmentPhase phase, int layer, CancellationToken cancel) =>
        OnEach(share, (segment, token) => Run(segment, phase, layer, token), cancel);

    // Every (segment, head group) waits for its state at once; the arrivals order them. So a segment scans a group the
    // moment its state is pushed, while the next segment may already scan the group before: the groups pipeline through
    // the segments, and a silo's cores work on different segments instead of splitting each segment's small scan.
    Task ISiloGrain.ScanAsync(SiloShare share, int layer, bool reverse, CancellationToken cancel)
    {
        var state = reverse ? SegmentInput.ReverseState : SegmentInput.ForwardState;
        var cells = share.Segments.SelectMany(k => Enumerable.Range(0, groups.Count).Select(g => (Segment: k, Group: g))).ToArray();
        return FanOut.AllAsync(cells.Select<(int Segment, int Group), Func<CancellationToken, Task>>(cell => async token =>
        {
            var segment = Segment(share, cell.Segment);
            await segment.WhenArrivedAsync(layer, state, cell.Group, token);
            await segment.ScanAsync(new ScanTurn(layer, reverse, cell.Group), token);
        }), cancel);
    }

    async Task<FloatBlock> ISiloGrain.EndStepAsync(SiloShare share, int lastLayer, StepEnd end, CancellationToken cancel)
    {
        var latents = await OnEach(share, async (segment, token) =>
        {
            await FinishBlock(segment, lastLayer, token);
            return await segment.EndStepAsync(end, token);
        }, cancel);
        var all = new float[latents.Sum(l => l.Length)];
        int at = 0;
        foreach (var part in latents) { part.Span.CopyTo(all.AsSpan(at)); at += part.Length; }
        return new FloatBlock(all);
    }

    async Task ISiloGrain.ReleaseAsync(SiloShare share, CancellationToken cancel)
    {
        await progress.FlushAsync(share.StoryId);   // the segments' last events go to the story before they are gone
        await Task.WhenAll(share.Segments.Select(k => Segment(share, k).ReleaseAsync(cancel)));
    }

    /// <summary>One segment's part of a parallel phase, each step of it once its inputs from the neighbours are here.</summary>
    private static async Task Run(ISegmentGrain segment, SegmentPhase phase, int layer, CancellationToken cancel)
    {
        switch (phase)
        {
            case SegmentPhase.FinishForward:
                await segment.WhenArrivedAsync(layer, SegmentInput.ForwardOutputs, 0, cancel);
                await segment.FinishForwardAsync(layer, cancel);
                break;
            case SegmentPhase.FinishBlockThenAttention:
                await FinishBlock(segment, layer, cancel);
                await AttentionAndScanInputs(segment, layer + 1, cancel);
                break;
            default:
                throw new ArgumentException($"segment phase: expected one of {string.Join(", ", Enum.GetNames<SegmentPhase>())}, found {phase}");
        }
    }

    private static async Task AttentionAndScanInputs(ISegmentGrain segment, int layer, CancellationToken cancel)
    {
        await segment.WhenArrivedAsync(layer, SegmentInput.HaloInput, 0, cancel);    // pushed by segment k − 1
        await segment.AttendAsync(layer, cancel);
        await segment.WhenArrivedAsync(layer, SegmentInput.HaloOutput, 0, cancel);   // pushed by segment k + 1's attention
        await segment.PrepareForwardAsync(layer, cancel);
    }

    private static async Task FinishBlock(ISegmentGrain segment, int layer, CancellationToken cancel)
    {
        await segment.WhenArrivedAsync(layer, SegmentInput.ReverseOutputs, 0, cancel);
        await segment.FinishBlockAsync(layer, cancel);
    }

    /// <summary>Runs <paramref name="work"/> on each segment of the share at once; the first failure cancels the rest.</summary>
    private Task<T[]> OnEach<T>(SiloShare share, Func<ISegmentGrain, CancellationToken, Task<T>> work, CancellationToken cancel) =>
        FanOut.AllAsync(share.Segments.Select<int, Func<CancellationToken, Task<T>>>(k => token => work(Segment(share, k), token)), cancel);

    private Task OnEach(SiloShare share, Func<ISegmentGrain, CancellationToken, Task> work, CancellationToken cancel) =>
        FanOut.AllAsync(share.Segments.Select<int, Func<CancellationToken, Task>>(k => token => work(Segment(share, k), token)), cancel);

    /// <summary>Segment k of the share, on this silo.</summary>
    private ISegmentGrain Segment(SiloShare share, int k) => GrainFactory.GetGrain<ISegmentGrain>(SegmentKeys.Of(share.StoryId, k, share.Attempt, silo.Name));
}
