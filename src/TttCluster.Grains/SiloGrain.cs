using TttCluster.Abstractions;
using TttCluster.Model.Ttt;
using TttCluster.Runtime;

namespace TttCluster.Grains;

/// <summary>
/// A silo's own grain (key: silo id): its capacity and how many activations it holds, and the entry point through which
/// a coordinator runs each part of a step on all of a story's segments here in one call. It keeps no state, so its
/// calls interleave: several stories run here at once.
/// </summary>
public sealed class SiloGrain(Silo silo, IGrainFactory grains, ProgressRelay progress, ScanGroups groups) : ISiloGrain
{
    Task<SiloStatus> ISiloGrain.GetStatusAsync(CancellationToken cancel) =>
        Task.FromResult(new SiloStatus(silo.Id, silo.Capacity, silo.ActivationCount));

    Task ISiloGrain.BeginStepAsync(string storyId, IReadOnlyList<int> segments, StepStart start, CancellationToken cancel) =>
        OnEach(storyId, segments, async (segment, token) =>
        {
            await segment.BeginStepAsync(start, token);
            await AttentionAndScanInputs(segment, 0, token);
        }, cancel);

    Task ISiloGrain.RunPhaseAsync(string storyId, IReadOnlyList<int> segments, SegmentPhase phase, int layer, CancellationToken cancel) =>
        OnEach(storyId, segments, (segment, token) => Run(segment, phase, layer, token), cancel);

    // Every (segment, head group) waits for its state at once; the arrivals order them. So a segment scans a group the
    // moment its state is pushed, while the next segment may already scan the group before: the groups pipeline through
    // the segments, and a silo's cores work on different segments instead of splitting each segment's small scan.
    Task ISiloGrain.ScanAsync(string storyId, IReadOnlyList<int> segments, int layer, bool reverse, CancellationToken cancel)
    {
        var state = reverse ? SegmentInput.ReverseState : SegmentInput.ForwardState;
        var cells = segments.SelectMany(k => Enumerable.Range(0, groups.Count).Select(g => (Segment: k, Group: g))).ToArray();
        return FanOut.AllAsync(cells.Select<(int Segment, int Group), Func<CancellationToken, Task>>(cell => async token =>
        {
            var segment = Segment(storyId, cell.Segment);
            await segment.WhenArrivedAsync(layer, state, cell.Group, token);
            await segment.ScanAsync(new ScanTurn(layer, reverse, cell.Group), token);
        }), cancel);
    }

    async Task<float[]> ISiloGrain.EndStepAsync(string storyId, IReadOnlyList<int> segments, int lastLayer, StepEnd end, CancellationToken cancel)
    {
        var latents = await OnEach(storyId, segments, async (segment, token) =>
        {
            await FinishBlock(segment, lastLayer, token);
            return await segment.EndStepAsync(end, token);
        }, cancel);
        var all = new float[latents.Sum(l => l.Length)];
        int at = 0;
        foreach (var part in latents) { part.CopyTo(all, at); at += part.Length; }
        return all;
    }

    Task ISiloGrain.ReleaseAsync(string storyId, IReadOnlyList<int> segments, int attempt, CancellationToken cancel)
    {
        foreach (int k in segments)
            silo.Deactivate(typeof(ISegmentGrain), SegmentKey(storyId, k), grain => grain is SegmentGrain segment && segment.Attempt < attempt);
        return Task.CompletedTask;
    }

    async Task ISiloGrain.ForgetStoryAsync(string storyId, int segments, CancellationToken cancel)
    {
        await progress.FlushAsync(storyId);   // the segments' last events go to the story before its route is forgotten
        var directory = grains as IGrainDirectory;
        for (int k = 0; k < segments; k++)
        {
            silo.Deactivate(typeof(ISegmentGrain), SegmentKey(storyId, k));
            directory?.Forget(typeof(ISegmentGrain), SegmentKey(storyId, k));
        }
        directory?.Forget(typeof(IStoryGrain), storyId);
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

    /// <summary>Runs <paramref name="work"/> on each listed segment at once; the first failure cancels the rest.</summary>
    private Task<T[]> OnEach<T>(string storyId, IReadOnlyList<int> segments, Func<ISegmentGrain, CancellationToken, Task<T>> work, CancellationToken cancel) =>
        FanOut.AllAsync(segments.Select<int, Func<CancellationToken, Task<T>>>(k => token => work(Segment(storyId, k), token)), cancel);

    private Task OnEach(string storyId, IReadOnlyList<int> segments, Func<ISegmentGrain, CancellationToken, Task> work, CancellationToken cancel) =>
        FanOut.AllAsync(segments.Select<int, Func<CancellationToken, Task>>(k => token => work(Segment(storyId, k), token)), cancel);

    private ISegmentGrain Segment(string storyId, int k) => grains.GetGrain<ISegmentGrain>(SegmentKey(storyId, k));

    public static string SegmentKey(string storyId, int k) => $"{storyId}/{k}";
}
