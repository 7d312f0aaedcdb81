namespace TttCluster.Tensors.Tests;

/// <summary>
/// Attention by the definition: materialises each query's full row of scores and accumulates in double. Only
/// for tests (O(seqLen²) memory per head row, and slow).
/// </summary>
internal static class AttentionReference
{
    public static double[] Forward(float[] q, float[] k, float[] v, int seqLen, int heads, int headDim, float scale)
    {
        int width = heads * headDim;
        var output = new double[seqLen * width];
        var scores = new double[seqLen];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < seqLen; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < seqLen; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < headDim; c++)
                        dot += (double)q[i * width + h * headDim + c] * k[j * width + h * headDim + c];
                    scores[j] = dot * scale;
                    max = Math.Max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < seqLen; j++)
                {
                    scores[j] = Math.Exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int c = 0; c < headDim; c++)
                {
                    double weighted = 0;
                    for (int j = 0; j < seqLen; j++)
                        weighted += scores[j] * v[j * width + h * headDim + c];
                    output[i * width + h * headDim + c] = weighted / sum;
                }
            }
        return output;
    }
}
