namespace TttCluster.Model;

/// <summary>
/// A seeded N(0, 1) generator that gives the same numbers on every machine and .NET version: SplitMix64 for the
/// uniform bits (fully specified integer arithmetic) and the Box–Muller transform in double precision.
/// Used for weights initialisation and for the sampler's initial noise.
/// </summary>
public sealed class GaussianRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in (0, 1]: 53 random bits, never 0 so the logarithm below is finite.</summary>
    public double NextUniform() => ((NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>Fills <paramref name="data"/> with N(0, std²) samples, two per Box–Muller draw.</summary>
    public void Fill(Span<float> data, float std)
    {
        for (int i = 0; i < data.Length; i += 2)
        {
            double radius = Math.Sqrt(-2.0 * Math.Log(NextUniform()));
            double angle = 2.0 * Math.PI * NextUniform();
            data[i] = (float)(radius * Math.Cos(angle) * std);
            if (i + 1 < data.Length) data[i + 1] = (float)(radius * Math.Sin(angle) * std);
        }
    }
}
