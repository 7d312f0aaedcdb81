using System.Globalization;
using TttCluster.Model.Parameters;
using TttCluster.Model.Plan;
using TttCluster.Model.Sampling;
using TttCluster.Model.Weights;

namespace TttCluster.Model.Tests.Golden;

/// <summary>The whole model against tools/reference: a block, a forward pass, a 4-step CFG sampling run.</summary>
public class ModelGoldenTests(ITestOutputHelper output)
{
    [Fact]
    public void Block_MatchesReference()
    {
        var p = GoldenFiles.TinyWeights;
        var cfg = p.Config;
        using var g = GoldenFiles.Open("block_n2.safetensors");
        var layout = new SequenceLayout(cfg, 2);
        var ctx = new StepContext(p, layout, 1, 0, g.Read("temb").Data);
        float[] text = g.Read("text").Data, video = g.Read("video").Data;
        int d = cfg.Width, lt = cfg.TextTokensPerSegment, pf = cfg.TokensPerFrame;
        var residual = new float[2][];
        for (int k = 0; k < 2; k++)
        {
            int chunk = layout.ChunkLength(k);
            residual[k] = new float[chunk * d];
            text.AsSpan(k * lt * d, lt * d).CopyTo(residual[k]);
            video.AsSpan(layout.FirstOwnFrame(k) * pf * d, (chunk - lt) * d).CopyTo(residual[k].AsSpan(lt * d));
        }
        new LocalExecutor().RunBlock(ctx, 0, residual);

        var gotText = new float[text.Length];
        var gotVideo = new float[video.Length];
        for (int k = 0; k < 2; k++)
        {
            int chunk = layout.ChunkLength(k);
            residual[k].AsSpan(0, lt * d).CopyTo(gotText.AsSpan(k * lt * d));
            residual[k].AsSpan(lt * d).CopyTo(gotVideo.AsSpan(layout.FirstOwnFrame(k) * pf * d));
        }
        GoldenFiles.AssertClose("block text", gotText, g.Read("expected.text").Data, 1e-5, output);
        GoldenFiles.AssertClose("block video", gotVideo, g.Read("expected.video").Data, 1e-5, output);
    }

    [Theory]
    [InlineData("forward_n3.safetensors", 3)]
    [InlineData("forward_n2.safetensors", 2)]
    public void Forward_MatchesReference(string name, int segments)
    {
        var p = GoldenFiles.TinyWeights;
        using var g = GoldenFiles.Open(name);
        int t = int.Parse(g.Metadata["t"]);
        var ctx = new StepContext(p, new SequenceLayout(p.Config, segments), 1, t);
        GoldenFiles.AssertClose("temb", Layers.TimeEmbedding.Forward(p, t), g.Read("expected.temb").Data, 1e-5, output);
        float[][] f = new LocalExecutor().Forward(ctx, g.Read("x").Data, [g.Read("text_embeddings").Data]);
        GoldenFiles.AssertClose($"{name} F", f[0], g.Read("expected.F").Data, 1e-5, output);
    }

    [Fact]
    public void Sample4StepsWithCfg_MatchesReference()
    {
        using var g = GoldenFiles.Open("sample4_n3.safetensors");
        var settings = Settings(g);
        var schedule = new NoiseSchedule(settings.Steps);
        GoldenFiles.AssertClose("timesteps", schedule.Timesteps.Select(x => (float)x).ToArray(), g.Read("expected.t").Data, 0, output);
        GoldenFiles.AssertClose("a", schedule.Alpha.Select(x => (float)x).ToArray(), g.Read("expected.a").Data, 1e-7, output);
        GoldenFiles.AssertClose("cfg scale", Enumerable.Range(0, settings.Steps)
            .Select(i => (float)NoiseSchedule.GuidanceScale(i, settings.Steps, settings.Guidance, settings.GuidancePower)).ToArray(),
            g.Read("expected.cfg_scale").Data, 1e-7, output);
        AssertSamplingMatches(GoldenFiles.TinyWeights, g, settings);
    }

    /// <summary>The same run on the model users render with (trained by tools/train), from its own text encoder.</summary>
    [Fact]
    public void ShippedModel_Sample4StepsWithCfg_MatchesReference()
    {
        using var g = GoldenFiles.Open("shipped_sample4_n3.safetensors");
        string modelPath = Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors");
        string sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(modelPath)));
        Assert.True(sha256 == g.Metadata["weights_sha256"],
            "models/tiny.safetensors is not the file tests/golden/shipped_sample4_n3.safetensors was made from: " +
            "after replacing the model, regenerate the goldens with tools/reference/make_golden.py");
        var model = ModelBundle.Load(modelPath);

        string[] texts = System.Text.Json.JsonSerializer.Deserialize<string[]>(g.Metadata["texts"])!;
        GoldenFiles.AssertClose("cond text embeddings", texts.SelectMany(model.TextEncoder.Encode).ToArray(), g.Read("cond").Data, 0, output);
        GoldenFiles.AssertClose("uncond text embeddings", texts.SelectMany(_ => model.TextEncoder.Encode("")).ToArray(), g.Read("uncond").Data, 0, output);
        AssertSamplingMatches(model.Dit, g, Settings(g));
    }

    /// <summary>The shipped file's decoder on the golden's final latents, at a frame on a latent frame and one between two.</summary>
    [Fact]
    public void ShippedModel_DecodedFrames_MatchReference()
    {
        using var g = GoldenFiles.Open("shipped_sample4_n3.safetensors");
        var model = ModelBundle.Load(Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors"));
        float[] latents = g.Read("expected.x").Data;
        int latentFrames = latents.Length / model.Config.LatentFrameFloats;
        int[] frames = System.Text.Json.JsonSerializer.Deserialize<int[]>(g.Metadata["decoded_frames"])!;
        Assert.Equal(3, frames.Length);
        var rgb = new float[3 * model.Decoder.Width * model.Decoder.Height];
        foreach (int f in frames)
        {
            model.Decoder.DecodeFrame(latents, latentFrames, f, rgb);
            GoldenFiles.AssertClose($"frame {f}", rgb, g.Read($"expected.frame{f}").Data, 1e-5, output);
        }
    }

    private static SamplerSettings Settings(SafetensorsFile g) =>
        new(int.Parse(g.Metadata["steps"]), double.Parse(g.Metadata["guidance"], CultureInfo.InvariantCulture),
            double.Parse(g.Metadata["guidance_power"], CultureInfo.InvariantCulture));

    /// <summary>Runs the sampler from the golden's noise and text embeddings and compares x after every step.</summary>
    private void AssertSamplingMatches(ModelParameters p, SafetensorsFile g, SamplerSettings settings)
    {
        var layout = new SequenceLayout(p.Config, int.Parse(g.Metadata["segments"]));
        float[] cond = g.Read("cond").Data, uncond = g.Read("uncond").Data;
        var executor = new LocalExecutor();
        float[] x = DdimSampler.Sample(settings, g.Read("noise").Data, (xt, t) =>
            {
                float[][] f = executor.Forward(new StepContext(p, layout, 2, t), xt, [cond, uncond]);
                return (f[0], f[1]);
            },
            (i, xi) => GoldenFiles.AssertClose($"x after step {i}", xi, g.Read($"expected.x_step{i}").Data, 1e-5, output));
        GoldenFiles.AssertClose("final x", x, g.Read("expected.x").Data, 1e-5, output);
    }
}
