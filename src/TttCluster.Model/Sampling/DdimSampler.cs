namespace TttCluster.Model.Sampling;

/// <summary>
/// v-prediction DDIM (η = 0) with classifier-free guidance on the x0 estimate (docs/MODEL.md §6). The model is a
/// function (x, t) → [F_cond, F_uncond] so the same sampler drives the local executor and a cluster.
/// The update is element-wise: a cluster applies it segment by segment with the same result.
/// </summary>
public static class DdimSampler
{
    /// <summary>
    /// One step in place on <paramref name="x"/>: D = D_u + s·(D_c − D_u) with D = a·x − σ·F, then
    /// x ← a_{i+1}·D + (σ_{i+1}·(x − a_i·D))/σ_i. Evaluated in fp32 in exactly this order.
    /// </summary>
    public static void Step(NoiseSchedule schedule, int i, double guidanceScale, Span<float> x, ReadOnlySpan<float> fCond, ReadOnlySpan<float> fUncond)
    {
        float a = (float)schedule.Alpha[i], sigma = (float)schedule.Sigma[i];
        float aNext = (float)schedule.Alpha[i + 1], sigmaNext = (float)schedule.Sigma[i + 1];
        float s = (float)guidanceScale;
        for (int j = 0; j < x.Length; j++)
        {
            float dCond = a * x[j] - sigma * fCond[j];
            float dUncond = a * x[j] - sigma * fUncond[j];
            float denoised = dUncond + s * (dCond - dUncond);
            x[j] = aNext * denoised + sigmaNext * (x[j] - a * denoised) / sigma;
        }
    }

    /// <param name="model">(x, t) → (F_cond, F_uncond), both shaped like x.</param>
    /// <param name="onStep">Called after each step with the step index and the new x.</param>
    public static float[] Sample(SamplerSettings settings, float[] noise, Func<float[], int, (float[] Cond, float[] Uncond)> model,
        Action<int, float[]>? onStep = null, CancellationToken cancel = default)
    {
        var schedule = new NoiseSchedule(settings.Steps);
        var x = (float[])noise.Clone();
        for (int i = 0; i < schedule.Steps; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var (cond, uncond) = model(x, schedule.Timesteps[i]);
            Step(schedule, i, NoiseSchedule.GuidanceScale(i, schedule.Steps, settings.Guidance, settings.GuidancePower), x, cond, uncond);
            onStep?.Invoke(i, x);
        }
        return x;
    }
}
