namespace TttCluster.Model.Sampling;

/// <summary>How to sample: steps N, the CFG scale S and the power p of its schedule s(k) = 1 + S·(1 − cos(π(k/N)^p))/2.</summary>
public sealed record SamplerSettings(int Steps = 20, double Guidance = 4.0, double GuidancePower = 1.0);
