using System.Diagnostics;
using TttCluster.Abstractions;
using TttCluster.Grains;
using TttCluster.Model;
using TttCluster.Video;

namespace TttCluster.Rendering;

/// <summary>
/// The main job of the embedded default: scenes → latents (the model) → RGB frames (the decoder) → H.264 MP4
/// (ffmpeg), plus a contact sheet with the middle frame of every scene. Frames stream from the decoder into ffmpeg,
/// so a minute of video is never held in memory. A cancelled or failed render leaves no video file behind.
/// </summary>
public sealed class StoryRenderer(ModelBundle model)
{
    /// <summary>
    /// Renders on in-process silos (the embedded cluster) instead of the local executor; the latents are bit-identical.
    /// Null: the local executor. Ctrl-C keeps the last finished step's latents either way.
    /// </summary>
    public int? Silos { get; init; }

    /// <summary>With <see cref="Silos"/>: run them as ttt-silo processes on loopback loading <see cref="ModelPath"/>.</summary>
    public bool Processes { get; init; }

    /// <summary>With <see cref="Processes"/>: a storage connection string; the silos cluster through Azure Table storage.</summary>
    public string? Storage { get; init; }

    /// <summary>The model file silo processes load (they get the same model as this process).</summary>
    public string? ModelPath { get; init; }

    public RenderResult Render(RenderRequest request, string videoPath, string? latentsPath, Action<RenderProgress>? progress,
        CancellationToken cancel)
    {
        if (Silos is { } silos) return RenderOnCluster(request, silos, videoPath, latentsPath, progress, cancel);
        var total = Stopwatch.StartNew();
        var sampler = new LatentSampler(model);
        var layout = sampler.LayoutFor(request);
        float[]? lastLatents = null;
        int stepsDone = 0;
        float[] latents;
        var modelClock = Stopwatch.StartNew();
        try
        {
            latents = sampler.Sample(request, progress, (i, x) => { lastLatents = (float[])x.Clone(); stepsDone = i + 1; }, cancel);
        }
        catch (OperationCanceledException e)
        {
            throw Cancelled(request, layout, latentsPath, lastLatents, stepsDone, e);
        }
        double modelSeconds = modelClock.Elapsed.TotalSeconds;
        return Finish(request, layout, latents, modelSeconds, total, videoPath, latentsPath, progress, cancel);
    }

    private RenderResult RenderOnCluster(RenderRequest request, int silos, string videoPath, string? latentsPath,
        Action<RenderProgress>? progress, CancellationToken cancel)
    {
        var total = Stopwatch.StartNew();
        var sampler = new LatentSampler(model);
        var layout = sampler.LayoutFor(request);
        var job = sampler.CreateJob("story", request);
        var events = new ClusterProgress(p => progress?.Invoke(new RenderProgress("sampling", p.Step, request.Sampler.Steps, p.Segment, p.Layer,
            p.Segment < 0 ? p.Phase : $"{p.Phase} ({p.Silo})")));
        float[] latents;
        try
        {
            latents = SampleOnCluster(job, silos, events, cancel).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException e) when (cancel.IsCancellationRequested)
        {
            // Stopped in a step (the coordinator says which and keeps its latents) or before the first (silos starting).
            var story = e as StoryCancelledException;
            throw Cancelled(request, layout, latentsPath, story?.Latents, story?.StepsDone ?? 0, e);
        }
        double modelSeconds = total.Elapsed.TotalSeconds;
        return Finish(request, layout, latents, modelSeconds, total, videoPath, latentsPath, progress, cancel);
    }

    /// <summary>
    /// The end of a render whose latents were sampled elsewhere (the farm's coordinator): keeps the latents if asked,
    /// decodes them and encodes the video at <paramref name="videoPath"/>, the contact sheet next to it.
    /// </summary>
    public RenderResult Encode(RenderRequest request, float[] latents, string videoPath, string? latentsPath, Action<RenderProgress>? progress,
        CancellationToken cancel)
    {
        var layout = new LatentSampler(model).LayoutFor(request);
        if (latents.Length != layout.Frames * model.Config.LatentFrameFloats)
            throw new ArgumentException($"the story's latents hold {layout.Frames * model.Config.LatentFrameFloats} floats; {latents.Length} were given", nameof(latents));
        return Finish(request, layout, latents, 0, Stopwatch.StartNew(), videoPath, latentsPath, progress, cancel);
    }

    /// <summary>Stopped during sampling: keeps the latents of the last finished step if asked (and there are any).</summary>
    private static RenderCancelledException Cancelled(RenderRequest request, SequenceLayout layout, string? latentsPath, float[]? lastLatents,
        int stepsDone, Exception inner)
    {
        string kept = "no video was written";
        if (latentsPath is not null && lastLatents is not null)
        {
            LatentsFile.Write(latentsPath, lastLatents, layout, request, stepsDone);
            kept += $"; the latents after step {stepsDone}/{request.Sampler.Steps} are in {latentsPath}";
        }
        return new RenderCancelledException($"stopped during denoising step {stepsDone + 1}/{request.Sampler.Steps}: {kept}", inner);
    }

    /// <summary>After sampling, whichever way: keep the latents if asked, decode and encode the video, report.</summary>
    private RenderResult Finish(RenderRequest request, SequenceLayout layout, float[] latents, double modelSeconds, Stopwatch total,
        string videoPath, string? latentsPath, Action<RenderProgress>? progress, CancellationToken cancel)
    {
        if (latentsPath is not null) LatentsFile.Write(latentsPath, latents, layout, request, request.Sampler.Steps);
        (double, double, string, int) encoded;
        try
        {
            encoded = Encode(latents, layout, videoPath, progress, cancel);
        }
        catch (Exception e) when (cancel.IsCancellationRequested && e is OperationCanceledException or VideoEncodingException)
        {
            // Stopped while encoding (ffmpeg, in the terminal's process group, may have been stopped by the same Ctrl-C).
            string kept = latentsPath is null ? "" : $"; the final latents (step {request.Sampler.Steps}/{request.Sampler.Steps}) are in {latentsPath}";
            throw new RenderCancelledException($"stopped while encoding the video: no video was written{kept}", e);
        }
        var (decoderSeconds, ffmpegSeconds, contactPath, frames) = encoded;
        progress?.Invoke(new RenderProgress("done", request.Sampler.Steps, request.Sampler.Steps, -1, 0, "done", frames, frames));
        var d = model.Decoder;
        return new RenderResult(videoPath, contactPath, latentsPath, frames, d.Width, d.Height, d.FramesPerSecond,
            new RenderTimings(modelSeconds, decoderSeconds, ffmpegSeconds, total.Elapsed.TotalSeconds));
    }

    private async Task<float[]> SampleOnCluster(StoryJob job, int silos, IProgress<SegmentProgress> events, CancellationToken cancel)
    {
        if (!Processes)
        {
            await using var inProcess = await InProcessSilos.StartAsync(model, silos, cancel);
            return await ClusterRender.RenderAsync(inProcess.Grains, job, events, cancel);
        }
        await using var cluster = await ProcessCluster.StartAsync(model,
            ModelPath ?? throw new InvalidOperationException("rendering on silo processes needs the model file's path"), silos, cancel, Storage);
        return await ClusterRender.RenderAsync(cluster.Grains, job, events, cancel);
    }

    /// <summary>
    /// Turns cluster events into render progress: the silos report each segment's phases as they happen (a segment that
    /// finished the step waits for the others), the coordinator says when a whole step is done (segment −1).
    /// </summary>
    private sealed class ClusterProgress(Action<SegmentProgress> report) : IProgress<SegmentProgress>
    {
        public void Report(SegmentProgress value) =>
            report(value.Phase == "step done" && value.Segment >= 0 ? value with { Phase = "waiting for the step" } : value);
    }

    private (double Decoder, double Ffmpeg, string ContactPath, int Frames) Encode(float[] latents, SequenceLayout layout, string videoPath,
        Action<RenderProgress>? progress, CancellationToken cancel)
    {
        var decoder = model.Decoder;
        int frames = decoder.FrameCount(layout.Frames);
        var spec = new VideoSpec(decoder.Width, decoder.Height, decoder.FramesPerSecond, frames);
        // The contact sheet shows the middle frame of each scene's 3-second segment.
        var perScene = new HashSet<int>();
        int perLatent = (frames - 1) / (layout.Frames - 1), f = layout.Config.FramesPerSegment;
        for (int k = 0; k < layout.Segments; k++) perScene.Add(f * k * perLatent + f * perLatent / 2);
        var sheetFrames = new List<byte[]>();
        // Frames decode in parallel batches (each frame is independent), then go to ffmpeg in order.
        int batch = 2 * Environment.ProcessorCount;
        var rgb = Enumerable.Range(0, batch).Select(_ => new float[3 * decoder.Width * decoder.Height]).ToArray();
        var bytes = Enumerable.Range(0, batch).Select(_ => new byte[spec.FrameBytes]).ToArray();
        var decodeClock = new Stopwatch();
        var ffmpegClock = new Stopwatch();
        ffmpegClock.Start();
        using var writer = Mp4Writer.Start(videoPath, spec, cancel);
        ffmpegClock.Stop();
        for (int first = 0; first < frames; first += batch)
        {
            cancel.ThrowIfCancellationRequested();
            int count = Math.Min(batch, frames - first);
            decodeClock.Start();
            Parallel.For(0, count, i =>
            {
                decoder.DecodeFrame(latents, layout.Frames, first + i, rgb[i]);
                Frames.ToRgb24(rgb[i], decoder.Width, decoder.Height, bytes[i]);
            });
            decodeClock.Stop();
            for (int i = 0; i < count; i++)
            {
                if (perScene.Contains(first + i)) sheetFrames.Add((byte[])bytes[i].Clone());
                ffmpegClock.Start();
                writer.WriteFrame(bytes[i]);
                ffmpegClock.Stop();
            }
            progress?.Invoke(new RenderProgress("decoding", 0, 0, -1, 0, "frames", first + count, frames));
        }
        ffmpegClock.Start();
        writer.Complete();
        ffmpegClock.Stop();
        string contactPath = Path.ChangeExtension(videoPath, ".contact.png");
        ContactSheet.Write(contactPath, sheetFrames, decoder.Width, decoder.Height, Math.Min(layout.Segments, 5));
        return (decodeClock.Elapsed.TotalSeconds, ffmpegClock.Elapsed.TotalSeconds, contactPath, frames);
    }
}
