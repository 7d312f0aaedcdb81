namespace TttCluster.Model.Ttt;

/// <summary>
/// How a distributed scan splits the heads into groups that pass from segment to segment on their own. Every head's
/// state evolves independently of the others, so a group scanned alone gives the same bits as all heads at once; and
/// while segment k scans group g + 1, segment k + 1 (on the same silo or the next) can already scan group g. With G
/// groups over S silos a scan takes about (1 + (S − 1) / G) / S of its serial time on dedicated machines, so more
/// groups pipeline better; but each group costs its own messages and copies at every segment (about 25 µs), so a group
/// must carry enough work to make that small: at least <see cref="MinGroupFlops"/>, and there are at most
/// <see cref="MaxGroups"/>. Groups are contiguous, equal head ranges.
/// </summary>
public sealed record ScanGroups(int Count, int HeadsPerGroup)
{
    public const int MaxGroups = 8;

    /// <summary>
    /// The least scan work (FLOP, both CFG streams) a group should do on one segment: about 0.2 ms on a core at the
    /// ~15 GFLOP/s such small products reach, ten times what the group costs. Measured with Tiny on 3 silos: 2 groups
    /// add 10% to the scan's work, 4 groups 35%, for the same pipelined makespan.
    /// </summary>
    public const double MinGroupFlops = 3e6;

    /// <summary>The groups for <paramref name="config"/>: Tiny (4 small heads) gets 2, CogVideoX5B (48 heads) 8.</summary>
    public static ScanGroups For(ModelConfig config)
    {
        // A segment's scan runs over its text and video tokens; per token and head, the inner model's forward, gradient
        // and update are about six d × 4d products.
        int tokens = config.TextTokensPerSegment + config.FramesPerSegment * config.TokensPerFrame;
        double headFlops = 2.0 * tokens * 6 * 2.0 * config.HeadDim * config.TtHidden;
        return For(config.Heads, headFlops);
    }

    /// <summary>The most groups (up to <see cref="MaxGroups"/>) that divide <paramref name="heads"/> evenly and give each
    /// group at least <see cref="MinGroupFlops"/> when one head's scan of a segment costs <paramref name="headFlops"/>.</summary>
    public static ScanGroups For(int heads, double headFlops = double.PositiveInfinity)
    {
        if (heads < 1) throw new ArgumentOutOfRangeException(nameof(heads), $"heads: expected at least 1, found {heads}");
        for (int count = Math.Min(heads, MaxGroups); count > 1; count--)
            if (heads % count == 0 && headFlops * (heads / count) >= MinGroupFlops) return new ScanGroups(count, heads / count);
        return new ScanGroups(1, heads);
    }

    /// <summary>The part of a head-major array (<paramref name="perHead"/> floats a head) that belongs to <paramref name="group"/>.</summary>
    public ReadOnlySpan<float> Of(ReadOnlySpan<float> headMajor, int group, int perHead) =>
        headMajor.Slice(FirstHead(group) * perHead, HeadsPerGroup * perHead);

    /// <summary>
    /// The state a scan of <paramref name="group"/> starts from: its heads' part of the layer's inner-model weights (W1,
    /// b1, W2, b2, head-major over all heads, hidden width 4d), the same for each of <paramref name="batch"/> streams.
    /// </summary>
    public ScanState InitialState(int group, int batch, int headDim, ReadOnlySpan<float> w1, ReadOnlySpan<float> b1, ReadOnlySpan<float> w2, ReadOnlySpan<float> b2)
    {
        int hidden = 4 * headDim;
        return ScanState.Initial(batch, HeadsPerGroup, headDim, Of(w1, group, headDim * hidden), Of(b1, group, hidden), Of(w2, group, hidden * headDim), Of(b2, group, headDim));
    }

    /// <summary>The first head of <paramref name="group"/>.</summary>
    public int FirstHead(int group) =>
        group >= 0 && group < Count ? group * HeadsPerGroup
            : throw new ArgumentOutOfRangeException(nameof(group), $"scan group: expected 0 to {Count - 1}, found {group}");
}
