using TttCluster.Abstractions;
using TttCluster.Runtime;

namespace TttCluster.Grains;

/// <summary>
/// A silo's own grain (key: silo id): its capacity and how many activations it holds, and the entry point through which
/// a coordinator runs each part of a step on all of a story's segments here in one call. It keeps no state, so its
/// calls interleave: several stories run here at once.
/// </summary>
public sealed class SiloGrain(Silo silo, IGrainFactory grains, ProgressRelay progress) : ISiloGrain
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

    // Every segment waits for its state at once; the arrivals order them. So the next segment starts the moment the state
    // is pushed to it, not when the previous one's call has also finished delivering straddling outputs to other silos.
    Task ISiloGrain.ScanAsync(string storyId, IReadOnlyList<int> segments, ScanTurn turn, CancellationToken cancel)
    {
        var state = turn.Reverse ? SegmentInput.ReverseState : SegmentInput.ForwardState;
        return OnEach(storyId, segments, async (segment, token) =>
        {
            await segment.WhenArrivedAsync(turn.Layer, state, token);
            await segment.ScanAsync(turn, token);
        }, cancel);
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
                await segment.WhenArrivedAsync(layer, SegmentInput.ForwardOutputs, cancel);
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
        await segment.WhenArrivedAsync(layer, SegmentInput.HaloInput, cancel);    // pushed by segment k − 1
        await segment.AttendAsync(layer, cancel);
        await segment.WhenArrivedAsync(layer, SegmentInput.HaloOutput, cancel);   // pushed by segment k + 1's attention
        await segment.PrepareForwardAsync(layer, cancel);
    }

    private static async Task FinishBlock(ISegmentGrain segment, int layer, CancellationToken cancel)
    {
        await segment.WhenArrivedAsync(layer, SegmentInput.ReverseOutputs, cancel);
        await segment.FinishBlockAsync(layer, cancel);
    }

    /// <summary>Runs <paramref name="work"/> on each listed segment at once; the first failure cancels the rest.</summary>
    private Task<T[]> OnEach<T>(string storyId, IReadOnlyList<int> segments, Func<ISegmentGrain, CancellationToken, Task<T>> work, CancellationToken cancel) =>
        FanOut.AllAsync(segments.Select<int, Func<CancellationToken, Task<T>>>(k => token => work(Segment(storyId, k), token)), cancel);

    private Task OnEach(string storyId, IReadOnlyList<int> segments, Func<ISegmentGrain, CancellationToken, Task> work, CancellationToken cancel) =>
        OnEach(storyId, segments, async (segment, token) => { await work(segment, token); return true; }, cancel);

    private ISegmentGrain Segment(string storyId, int k) => grains.GetGrain<ISegmentGrain>(SegmentKey(storyId, k));

    public static string SegmentKey(string storyId, int k) => $"{storyId}/{k}";
}
