using TttCluster.Model;
using TttCluster.Model.Plan;
using TttCluster.Model.Sampling;

namespace TttCluster.Rendering;

/// <summary>
/// Story → final latents on this machine: text conditioning for every scene (cond and uncond), seeded noise, then the
/// DDIM sampler driving the local executor. Same request and model, same bits.
/// </summary>
public sealed class LatentSampler(ModelBundle model)
{
    public SequenceLayout LayoutFor(RenderRequest request) => new(model.Config, request.Scenes.Count);

    /// <summary>The seeded initial noise [T, C, H, W]: the same seed gives the same noise on every machine.</summary>
    public float[] InitialNoise(RenderRequest request)
    {
        var layout = LayoutFor(request);
        var cfg = model.Config;
        var noise = new float[layout.Frames * cfg.LatentFrameFloats];
        new GaussianRandom(request.Seed).Fill(noise, 1f);
        return noise;
    }

    /// <summary>Text tokens of every scene, [n, Lt, TextDim]; uncond uses each scene's negative text, or "".</summary>
    public (float[] Cond, float[] Uncond) EncodeText(RenderRequest request)
    {
        var encoder = model.TextEncoder;
        int perScene = encoder.TokensPerSegment * encoder.OutputDim;
        var cond = new float[request.Scenes.Count * perScene];
        var uncond = new float[cond.Length];
        for (int k = 0; k < request.Scenes.Count; k++)
        {
            encoder.Encode(request.Scenes[k].Text).CopyTo(cond, k * perScene);
            encoder.Encode(request.Scenes[k].NegativeText ?? "").CopyTo(uncond, k * perScene);
        }
        return (cond, uncond);
    }

    /// <summary>The request as a cluster job: encoded text of both streams, the seeded noise, the sampler settings.</summary>
    public TttCluster.Abstractions.StoryJob CreateJob(string storyId, RenderRequest request)
    {
        var (cond, uncond) = EncodeText(request);
        var s = request.Sampler;
        return new TttCluster.Abstractions.StoryJob(storyId, request.Scenes.Count, new(cond), new(uncond), new(InitialNoise(request)), s.Steps, s.Guidance, s.GuidancePower);
    }

    /// <summary>Runs the sampler; <paramref name="onStep"/> sees the latents after each step (for checkpoints).</summary>
    public float[] Sample(RenderRequest request, Action<RenderProgress>? progress, Action<int, float[]>? onStep, CancellationToken cancel)
    {
        var layout = LayoutFor(request);
        var (cond, uncond) = EncodeText(request);
        int steps = request.Sampler.Steps;
        int step = 0;
        return DdimSampler.Sample(request.Sampler, InitialNoise(request), (x, t) =>
            {
                var executor = new LocalExecutor(ScanSplit.PerSegmentSerialized)
                {
                    Cancellation = cancel,
                    Progress = progress is null ? null : (layer, phase, k) => progress(new RenderProgress("sampling", step, steps, k, layer, phase)),
                };
                float[][] f = executor.Forward(new StepContext(model.Dit, layout, 2, t), x, [cond, uncond]);
                return (f[0], f[1]);
            },
            (i, x) =>
            {
                progress?.Invoke(new RenderProgress("sampling", i, steps, -1, model.Config.Layers - 1, "step done"));
                onStep?.Invoke(i, x);
                step = i + 1;
            },
            cancel);
    }
}
