namespace TttCluster.Model.Ttt;

/// <summary>
/// What the TTT scan reads for a run of tokens, per batch element and head, in the order the scan visits them:
/// Q, K (L2-normalised, rotated), Tg = LN′(V − K) [B, H, Rows, d] and the per-token step η [B, H, Rows] (already / b).
/// Head-major so that a mini-batch of one head is a contiguous block of rows.
/// </summary>
public sealed class TttInputs
{
    public int Batch { get; }
    public int Heads { get; }
    public int HeadDim { get; }
    public int Rows { get; }
    public float[] Q { get; }
    public float[] K { get; }
    public float[] Target { get; }
    public float[] Eta { get; }

    public TttInputs(int batch, int heads, int headDim, int rows)
        : this(batch, heads, headDim, rows, new float[batch * heads * rows * headDim], new float[batch * heads * rows * headDim],
               new float[batch * heads * rows * headDim], new float[batch * heads * rows]) { }

    public TttInputs(int batch, int heads, int headDim, int rows, float[] q, float[] k, float[] target, float[] eta)
    {
        long vectors = (long)batch * heads * rows * headDim;
        if (q.Length != vectors || k.Length != vectors || target.Length != vectors || eta.Length != (long)batch * heads * rows)
            throw new ArgumentException($"TTT inputs for [B={batch}, H={heads}, L={rows}, d={headDim}] need Q, K, Tg of {vectors} floats and η of {batch * heads * rows}; " +
                $"found {q.Length}, {k.Length}, {target.Length}, {eta.Length}");
        Batch = batch; Heads = heads; HeadDim = headDim; Rows = rows;
        Q = q; K = k; Target = target; Eta = eta;
    }

    /// <summary>Offset of row <paramref name="row"/> of (batch, head) in Q, K or Target.</summary>
    public int VectorOffset(int batch, int head, int row) => ((batch * Heads + head) * Rows + row) * HeadDim;

    /// <summary>Offset of row <paramref name="row"/> of (batch, head) in Eta.</summary>
    public int EtaOffset(int batch, int head, int row) => (batch * Heads + head) * Rows + row;
}
