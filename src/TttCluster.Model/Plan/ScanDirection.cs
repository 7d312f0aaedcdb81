namespace TttCluster.Model.Plan;

/// <summary>
/// Positions in one direction of the bidirectional scan. The forward scan visits scan order 0..L−1; the reverse scan
/// visits exactly the same tokens back to front (docs/MODEL.md §5), so segment k's chunk is visited as one run in both.
/// </summary>
public readonly record struct ScanDirection(bool Reverse)
{
    public static readonly ScanDirection Forward = new(false);
    public static readonly ScanDirection Backward = new(true);

    /// <summary>Segments in the order the scan visits them.</summary>
    public IEnumerable<int> SegmentOrder(SequenceLayout layout) =>
        Reverse ? Enumerable.Range(0, layout.Segments).Reverse() : Enumerable.Range(0, layout.Segments);

    /// <summary>Direction position of the first token the scan visits in segment k.</summary>
    public int RunStart(SequenceLayout layout, int k) =>
        Reverse ? layout.TotalTokens - layout.ChunkStart(k) - layout.ChunkLength(k) : layout.ChunkStart(k);

    /// <summary>True when segment k is the first run of this direction: it starts from the layer's initial state, no hand-off.</summary>
    public bool IsFirstRun(SequenceLayout layout, int k) => Reverse ? k == layout.Segments - 1 : k == 0;

    /// <summary>True when segment k is the last run of this direction (its partial mini-batch must be flushed).</summary>
    public bool IsLastRun(SequenceLayout layout, int k) => Reverse ? k == 0 : k == layout.Segments - 1;

    /// <summary>Direction position of token r (in the chunk's own order) of segment k.</summary>
    public int PositionOf(SequenceLayout layout, int k, int r) =>
        Reverse ? layout.TotalTokens - 1 - (layout.ChunkStart(k) + r) : layout.ChunkStart(k) + r;
}
