namespace TttCluster.Model.Parameters;

/// <summary>A Linear layer as PyTorch stores it: Weight [Out, In] row-major, Bias [Out]; y = x·Wᵀ + b.</summary>
public sealed record LinearWeights(float[] Weight, float[] Bias, int In, int Out);
