using TttCluster.Abstractions;
using TttCluster.Runtime;

namespace TttCluster.Grains;

/// <summary>
/// A silo's own grain (key: silo id): its capacity and how many activations it holds, and the batch entry point through
/// which a coordinator runs a phase on all of a story's segments here in one call. It keeps no state of its own, so its
/// calls interleave: several stories' batches run here at once.
/// </summary>
public sealed class SiloGrain(Silo silo, IGrainFactory grains) : ISiloGrain
{
    Task<SiloStatus> ISiloGrain.GetStatusAsync(CancellationToken cancel) =>
        Task.FromResult(new SiloStatus(silo.Id, silo.Capacity, silo.ActivationCount));

    Task ISiloGrain.RunPhaseAsync(PhaseBatch batch, CancellationToken cancel) =>
        Task.WhenAll(batch.Segments.Select(k => Run(Segment(batch.StoryId, k), batch, cancel)));

    async Task ISiloGrain.ScanRangeAsync(ScanBatch batch, CancellationToken cancel)
    {
        foreach (int k in batch.Segments) await Segment(batch.StoryId, k).ScanAsync(batch.Turn, cancel);
    }

    private ISegmentGrain Segment(string storyId, int k) => grains.GetGrain<ISegmentGrain>(SegmentKey(storyId, k));

    public static string SegmentKey(string storyId, int k) => $"{storyId}/{k}";

    private static Task Run(ISegmentGrain segment, PhaseBatch batch, CancellationToken cancel) => batch.Phase switch
    {
        SegmentPhase.BeginStep => segment.BeginStepAsync(batch.Start ?? throw Missing(batch, "Start"), cancel),
        SegmentPhase.Attend => segment.AttendAsync(batch.Layer, cancel),
        SegmentPhase.PrepareForward => segment.PrepareForwardAsync(batch.Layer, cancel),
        SegmentPhase.FinishForward => segment.FinishForwardAsync(batch.Layer, cancel),
        SegmentPhase.FinishBlock => segment.FinishBlockAsync(batch.Layer, cancel),
        SegmentPhase.EndStep => segment.EndStepAsync(batch.End ?? throw Missing(batch, "End"), cancel),
        _ => throw new ArgumentException($"phase batch of story '{batch.StoryId}': unknown phase {batch.Phase}"),
    };

    private static ArgumentException Missing(PhaseBatch batch, string field) =>
        new($"phase batch of story '{batch.StoryId}': phase {batch.Phase} needs {field}, found none");
}
