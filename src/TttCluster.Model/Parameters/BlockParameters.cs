namespace TttCluster.Model.Parameters;

/// <summary>One transformer block: adaLN, local attention, the bidirectional TTT-MLP layer and its four gates, the MLP.</summary>
public sealed class BlockParameters
{
    public required float[] Norm1Weight { get; init; }
    public required float[] Norm1Bias { get; init; }
    /// <summary>SiLU(temb) → (shift_v, scale_v, gate_v, shift_t, scale_t, gate_t), each [D].</summary>
    public required LinearWeights AdaAttn { get; init; }
    public required LinearWeights AttnQ { get; init; }
    public required LinearWeights AttnK { get; init; }
    public required LinearWeights AttnV { get; init; }
    public required LinearWeights AttnO { get; init; }
    /// <summary>Per-head LayerNorm on q and k, [d], shared by all heads.</summary>
    public required float[] AttnNormQWeight { get; init; }
    public required float[] AttnNormQBias { get; init; }
    public required float[] AttnNormKWeight { get; init; }
    public required float[] AttnNormKBias { get; init; }
    public required LinearWeights TttQ { get; init; }
    public required LinearWeights TttK { get; init; }
    public required LinearWeights TttV { get; init; }
    public required LinearWeights TttO { get; init; }
    /// <summary>Initial TTT hidden state (learned): W1 [H, d, 4d], b1 [H, 4d], W2 [H, 4d, d], b2 [H, d].</summary>
    public required float[] W1 { get; init; }
    public required float[] B1 { get; init; }
    public required float[] W2 { get; init; }
    public required float[] B2 { get; init; }
    /// <summary>γ_h, β_h of the inner LN and of the target LN′, [H, d].</summary>
    public required float[] TttLnWeight { get; init; }
    public required float[] TttLnBias { get; init; }
    /// <summary>Per-token learning-rate gate: weight [H, D], bias [H].</summary>
    public required LinearWeights LrGate { get; init; }
    public required float[] PostNormWeight { get; init; }
    public required float[] PostNormBias { get; init; }
    /// <summary>The four gates α (the model multiplies by tanh α), [D] each.</summary>
    public required float[] GateForwardText { get; init; }
    public required float[] GateForwardVideo { get; init; }
    public required float[] GateBackwardText { get; init; }
    public required float[] GateBackwardVideo { get; init; }
    public required float[] Norm2Weight { get; init; }
    public required float[] Norm2Bias { get; init; }
    /// <summary>SiLU(temb) → (shift2_v, scale2_v, gate2_v, shift2_t, scale2_t, gate2_t).</summary>
    public required LinearWeights AdaMlp { get; init; }
    public required LinearWeights Fc1 { get; init; }
    public required LinearWeights Fc2 { get; init; }
}
