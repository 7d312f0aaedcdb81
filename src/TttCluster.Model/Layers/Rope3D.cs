namespace TttCluster.Model.Layers;

/// <summary>
/// 3D rotary position embedding (docs/MODEL.md §4): a head vector is split [t | h | w] into d/4, 3d/8, 3d/8 channels;
/// pair m of an axis with d_a channels turns by pos·θ^(−2m/d_a). Tables are computed in float64 and rounded to fp32.
/// </summary>
public sealed class Rope3D
{
    private readonly int _dimT, _dimH, _dimW;
    private readonly float[] _cosT, _sinT, _cosH, _sinH, _cosW, _sinW;

    public Rope3D(ModelConfig config, int maxFrames)
    {
        _dimT = config.RopeDimT; _dimH = config.RopeDimH; _dimW = config.RopeDimW;
        (_cosT, _sinT) = Table(maxFrames, _dimT, config.RopeTheta);
        (_cosH, _sinH) = Table(config.PatchRows, _dimH, config.RopeTheta);
        (_cosW, _sinW) = Table(config.PatchCols, _dimW, config.RopeTheta);
    }

    private static (float[] Cos, float[] Sin) Table(int positions, int dim, double theta)
    {
        int pairs = dim / 2;
        var cos = new float[positions * pairs];
        var sin = new float[positions * pairs];
        for (int pos = 0; pos < positions; pos++)
            for (int m = 0; m < pairs; m++)
            {
                double angle = pos * Math.Pow(theta, -2.0 * m / dim);
                cos[pos * pairs + m] = (float)Math.Cos(angle);
                sin[pos * pairs + m] = (float)Math.Sin(angle);
            }
        return (cos, sin);
    }

    /// <summary>Rotates one head vector in place for the token at (frame, row, col).</summary>
    public void Apply(Span<float> head, int frame, int row, int col)
    {
        Rotate(head[.._dimT], _cosT, _sinT, frame);
        Rotate(head.Slice(_dimT, _dimH), _cosH, _sinH, row);
        Rotate(head.Slice(_dimT + _dimH, _dimW), _cosW, _sinW, col);
    }

    private static void Rotate(Span<float> x, float[] cosTable, float[] sinTable, int pos)
    {
        int pairs = x.Length / 2;
        ReadOnlySpan<float> cos = cosTable.AsSpan(pos * pairs, pairs), sin = sinTable.AsSpan(pos * pairs, pairs);
        for (int m = 0; m < pairs; m++)
        {
            float x0 = x[2 * m], x1 = x[2 * m + 1];
            x[2 * m] = x0 * cos[m] - x1 * sin[m];
            x[2 * m + 1] = x0 * sin[m] + x1 * cos[m];
        }
    }
}
