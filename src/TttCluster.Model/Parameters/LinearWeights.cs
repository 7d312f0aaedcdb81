namespace TttCluster.Model.Parameters;

/// <summary>A Linear layer as PyTorch stores it: Weight [Out, In] row-major, Bias [Out]; y = x·Wᵀ + b.</summary>
public sealed record LinearWeights(float[] Weight, float[] Bias, int In, int Out)
{
    /// <summary>Layers up to this many weights also keep Wᵀ [In, Out]: small products run on the managed GEMM, whose
    /// plain (NN) form is faster than the transposed one. The big model's layers go to OpenBLAS, which needs no copy.</summary>
    public const int TransposedCopyLimit = 1 << 20;

    private float[]? _transposed;

    /// <summary>Wᵀ [In, Out], made on first use; null for layers above <see cref="TransposedCopyLimit"/>.</summary>
    public float[]? WeightTransposed
    {
        get
        {
            if (_transposed is not null || (long)In * Out > TransposedCopyLimit) return _transposed;
            var t = new float[In * Out];
            for (int o = 0; o < Out; o++)
                for (int i = 0; i < In; i++)
                    t[i * Out + o] = Weight[o * In + i];
            return _transposed = t;
        }
    }
}
