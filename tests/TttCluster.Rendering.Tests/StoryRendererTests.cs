using System.Security.Cryptography;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Video;

namespace TttCluster.Rendering.Tests;

/// <summary>The main job end to end with the shipped Tiny model and the real ffmpeg and ffprobe.</summary>
public sealed class StoryRendererTests : IDisposable
{
    private static readonly Lazy<ModelBundle> s_model = new(() => ModelBundle.Load(Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors")));
    private readonly string _dir = Directory.CreateTempSubdirectory("ttt-render-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RenderRequest TwoScenes(int steps = 3, ulong seed = 42) => new(
    [
        new SceneText("Tom eats an apple pie at the kitchen table while Jerry watches from his mouse hole.", "blurry"),
        new SceneText("Jerry rings the doorbell; Tom goes to open the door."),
    ], seed, new SamplerSettings(steps, 4.0, 1.0));

    [Fact]
    public void TwoScenes_RenderToH264WithTheExpectedSizeFramesAndDuration()
    {
        string video = Path.Combine(_dir, "two.mp4");
        var result = new StoryRenderer(s_model.Value).Render(TwoScenes(), video, null, null, CancellationToken.None);

        var info = FfprobeInfo.Read(video);
        var decoder = s_model.Value.Decoder;
        Assert.Equal("h264", info.Codec);
        Assert.Equal("yuv420p", info.PixelFormat);
        Assert.Equal((decoder.Width, decoder.Height), (info.Width, info.Height));
        Assert.Equal(97, info.Frames);                               // 2 scenes × 3 latent frames × 16 + 1
        Assert.Equal(97 / 16.0, info.DurationSeconds, 0.07);         // about 3 s a scene
        Assert.Equal(97, result.Frames);
        Assert.True(new FileInfo(result.ContactSheetPath).Length > 0);
        Assert.Equal(video, result.VideoPath);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void SameStoryAndSeed_GiveBitIdenticalLatentsAndFrames()
    {
        var renderer = new StoryRenderer(s_model.Value);
        string latentsA = Path.Combine(_dir, "a.safetensors"), latentsB = Path.Combine(_dir, "b.safetensors");
        renderer.Render(TwoScenes(), Path.Combine(_dir, "a.mp4"), latentsA, null, CancellationToken.None);
        renderer.Render(TwoScenes(), Path.Combine(_dir, "b.mp4"), latentsB, null, CancellationToken.None);
        renderer.Render(TwoScenes(seed: 43), Path.Combine(_dir, "c.mp4"), Path.Combine(_dir, "c.safetensors"), null, CancellationToken.None);

        float[] a = LatentsFile.Read(latentsA), b = LatentsFile.Read(latentsB), c = LatentsFile.Read(Path.Combine(_dir, "c.safetensors"));
        Assert.Equal(Bits(a), Bits(b));
        Assert.NotEqual(Bits(a), Bits(c));                           // the seed matters
        Assert.Equal(DecodedFramesHash(a), DecodedFramesHash(b));
    }

    [Fact]
    public void OnInProcessSilos_TheVideoHasTheLocalLatents()
    {
        string local = Path.Combine(_dir, "local.safetensors"), silos = Path.Combine(_dir, "silos.safetensors");
        new StoryRenderer(s_model.Value).Render(TwoScenes(), Path.Combine(_dir, "local.mp4"), local, null, CancellationToken.None);
        var result = new StoryRenderer(s_model.Value) { Silos = 2 }.Render(TwoScenes(), Path.Combine(_dir, "silos.mp4"), silos, null, CancellationToken.None);
        Assert.Equal(Bits(LatentsFile.Read(local)), Bits(LatentsFile.Read(silos)));
        Assert.Equal(97, FfprobeInfo.Read(result.VideoPath).Frames);
    }

    [Fact]
    public void Cancelled_KeepsTheLastLatentsAndNoVideo()
    {
        string video = Path.Combine(_dir, "cancelled.mp4"), latents = Path.Combine(_dir, "partial.safetensors");
        using var cancel = new CancellationTokenSource();
        var e = Assert.Throws<RenderCancelledException>(() => new StoryRenderer(s_model.Value).Render(TwoScenes(steps: 5), video, latents,
            p => { if (p.Phase == "step done" && p.Step == 1) cancel.Cancel(); }, cancel.Token));
        Assert.Contains("after step 2/5", e.Message);
        Assert.Contains("no video was written", e.Message);
        Assert.False(File.Exists(video));
        using var file = TttCluster.Model.Weights.SafetensorsFile.Open(latents);
        Assert.Equal("2", file.Metadata["steps_done"]);
    }

    [Fact]
    public void CancelledOnSilos_KeepsTheLastLatentsBitIdenticalToTheLocalOnes()
    {
        // The local run's latents after two of five steps: what the cluster must keep when stopped during step 3.
        float[]? afterTwo = null;
        new LatentSampler(s_model.Value).Sample(TwoScenes(steps: 5), null, (i, x) => { if (i == 1) afterTwo = (float[])x.Clone(); }, CancellationToken.None);
        string video = Path.Combine(_dir, "cancelled-silos.mp4"), latents = Path.Combine(_dir, "partial-silos.safetensors");
        using var cancel = new CancellationTokenSource();
        var e = Assert.Throws<RenderCancelledException>(() => new StoryRenderer(s_model.Value) { Silos = 2 }.Render(TwoScenes(steps: 5), video, latents,
            p => { if (p.Phase == "step done" && p.Segment < 0 && p.Step == 1) cancel.Cancel(); }, cancel.Token));
        Assert.Contains("after step 2/5", e.Message);
        Assert.False(File.Exists(video));
        using (var file = TttCluster.Model.Weights.SafetensorsFile.Open(latents)) Assert.Equal("2", file.Metadata["steps_done"]);
        Assert.Equal(Bits(afterTwo!), Bits(LatentsFile.Read(latents)));
    }

    /// <summary>Ctrl-C while the silo processes are still starting: the same clear stop as during a step, nothing written.</summary>
    [Fact]
    public void CancelledWhileSiloProcessesStart_StopsClearly()
    {
        string video = Path.Combine(_dir, "cancelled-start.mp4"), latents = Path.Combine(_dir, "none.safetensors");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));   // a silo takes most of a second to start
        var renderer = new StoryRenderer(s_model.Value) { Silos = 2, Processes = true, ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors") };
        var e = Assert.Throws<RenderCancelledException>(() => renderer.Render(TwoScenes(), video, latents, null, cancel.Token));
        Assert.Equal("stopped during denoising step 1/3: no video was written", e.Message);
        Assert.False(File.Exists(video));
        Assert.False(File.Exists(latents));
    }

    private static string Bits(float[] x) => Convert.ToHexString(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan())));

    private static string DecodedFramesHash(float[] latents)
    {
        var decoder = s_model.Value.Decoder;
        int latentFrames = latents.Length / s_model.Value.Config.LatentFrameFloats;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var rgb = new float[3 * decoder.Width * decoder.Height];
        for (int f = 0; f < decoder.FrameCount(latentFrames); f++)
        {
            decoder.DecodeFrame(latents, latentFrames, f, rgb);
            sha.AppendData(Frames.ToRgb24(rgb, decoder.Width, decoder.Height));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
