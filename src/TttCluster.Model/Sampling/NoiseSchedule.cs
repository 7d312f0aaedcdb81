namespace TttCluster.Model.Sampling;

/// <summary>
/// The v-prediction DDIM schedule with ZeroSNR over the selected steps (docs/MODEL.md §6). All in float64; the sampler
/// rounds to fp32 where it uses a value.
/// </summary>
public sealed class NoiseSchedule
{
    public const int TrainingSteps = 1000;

    /// <summary>DDPM indices t_i = floor(999·(N − i)/N), i = 0..N−1: 999 first.</summary>
    public int[] Timesteps { get; }
    /// <summary>a_i = sqrt(ᾱ) after ZeroSNR rescaling, i = 0..N (a_0 = 0, a_N = 1).</summary>
    public double[] Alpha { get; }
    /// <summary>σ_i = sqrt(1 − a_i²).</summary>
    public double[] Sigma { get; }

    public int Steps => Timesteps.Length;

    public NoiseSchedule(int steps)
    {
        if (steps < 1 || steps > TrainingSteps) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be 1..{TrainingSteps}");
        double[] alphaBar = AlphaBar();
        Timesteps = Enumerable.Range(0, steps).Select(i => (int)((long)(TrainingSteps - 1) * (steps - i) / steps)).ToArray();
        Alpha = new double[steps + 1];
        double aLast = Math.Sqrt(alphaBar[Timesteps[0]]);           // t = 999
        double aFirst = Math.Sqrt(alphaBar[Timesteps[^1]]);         // the smallest selected t
        for (int i = 0; i < steps; i++)
        {
            double a = Math.Sqrt(alphaBar[Timesteps[i]]);
            Alpha[i] = steps == 1 ? 0.0 : (a - aLast) * aFirst / (aFirst - aLast);
        }
        Alpha[steps] = 1.0;
        Sigma = Alpha.Select(a => Math.Sqrt(1.0 - a * a)).ToArray();
    }

    /// <summary>ᾱ = cumprod(1 − β), β linear in sqrt space from 0.00085 to 0.012 over 1000 steps.</summary>
    public static double[] AlphaBar()
    {
        double lo = Math.Sqrt(0.00085), hi = Math.Sqrt(0.012);
        var alphaBar = new double[TrainingSteps];
        double product = 1.0;
        for (int i = 0; i < TrainingSteps; i++)
        {
            double s = lo + i / (double)(TrainingSteps - 1) * (hi - lo);
            product *= 1.0 - s * s;
            alphaBar[i] = product;
        }
        return alphaBar;
    }

    /// <summary>CFG scale of step i: 1 + S·(1 − cos(π·(i/N)^p))/2, i the step index.</summary>
    public static double GuidanceScale(int step, int steps, double guidance, double power) =>
        1.0 + guidance * (1.0 - Math.Cos(Math.PI * Math.Pow(step / (double)steps, power))) / 2.0;
}
