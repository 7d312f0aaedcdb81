using TttCluster.Model.Ttt;

namespace TttCluster.Model.Plan;

/// <summary>
/// Collects one direction's scan outputs for the whole story, [B, H, L, d] in direction order, and hands each segment
/// its rows in its own token order. The local executor's router; a cluster routes the same results by position.
/// </summary>
public sealed class ScanOutputBuffer(int batch, int heads, int headDim, int totalTokens)
{
    private readonly float[] _data = new float[batch * heads * totalTokens * headDim];
    private readonly int _batch = batch, _heads = heads, _d = headDim, _total = totalTokens;

    public void Store(ScanResult result)
    {
        for (int bh = 0; bh < _batch * _heads; bh++)
            result.Output.AsSpan(bh * result.Count * _d, result.Count * _d)
                .CopyTo(_data.AsSpan((bh * _total + result.FirstPosition) * _d));
    }

    /// <summary>Segment k's outputs [B, H, C, d] in the chunk's token order.</summary>
    public float[] Gather(SequenceLayout layout, int k, ScanDirection direction)
    {
        int chunk = layout.ChunkLength(k);
        var rows = new float[_batch * _heads * chunk * _d];
        for (int bh = 0; bh < _batch * _heads; bh++)
            for (int r = 0; r < chunk; r++)
                _data.AsSpan((bh * _total + direction.PositionOf(layout, k, r)) * _d, _d).CopyTo(rows.AsSpan((bh * chunk + r) * _d, _d));
        return rows;
    }
}
