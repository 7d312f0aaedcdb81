namespace TttCluster.Tensors;

// TEMPORARY naive placeholder until the real kernels land.
public static class Attention
{
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output, int seqLen, int heads, int headDim, float scale)
    {
        int width = heads * headDim;
        var s = new float[seqLen];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < seqLen; i++)
            {
                float max = float.NegativeInfinity;
                for (int j = 0; j < seqLen; j++)
                {
                    float dot = 0;
                    for (int c = 0; c < headDim; c++) dot += q[i * width + h * headDim + c] * k[j * width + h * headDim + c];
                    s[j] = dot * scale; max = Math.Max(max, s[j]);
                }
                float sum = 0;
                for (int j = 0; j < seqLen; j++) { s[j] = MathF.Exp(s[j] - max); sum += s[j]; }
                for (int c = 0; c < headDim; c++)
                {
                    float acc = 0;
                    for (int j = 0; j < seqLen; j++) acc += s[j] * v[j * width + h * headDim + c];
                    output[i * width + h * headDim + c] = acc / sum;
                }
            }
    }
}
