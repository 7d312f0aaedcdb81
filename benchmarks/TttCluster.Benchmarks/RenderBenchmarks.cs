using TttCluster.Model;
using TttCluster.Rendering;
using TttCluster.Stories;

namespace TttCluster.Benchmarks;

/// <summary>The main job: examples/one-minute.yaml rendered to MP4 with the shipped model, and where its wall time goes.</summary>
public static class RenderBenchmarks
{
    public const string StoryPath = "examples/one-minute.yaml";

    public static void OneMinuteStory(BenchmarkResults r, bool quick)
    {
        var model = ModelBundle.Load(Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors"));
        if (!File.Exists(StoryPath))
            throw new ArgumentException($"the render benchmark reads {StoryPath}: run it from the repository root");
        var story = StoryParser.ParseFile(StoryPath, StoryRequests.LimitsFor(model));
        // Quick mode: 4 denoising steps instead of the story's 20; decoding and encoding are the same.
        var request = StoryRequests.ToRequest(story, model, stepsOverride: quick ? 4 : null);
        string dir = Directory.CreateTempSubdirectory("ttt-bench-render-").FullName;
        try
        {
            var result = new StoryRenderer(model).Render(request, Path.Combine(dir, "one-minute.mp4"), null, null, CancellationToken.None);
            var t = result.Timings;
            r.Add("render_one_minute_seconds", t.TotalSeconds, "s",
                $"{story.Scenes.Count} scenes, {request.Sampler.Steps} steps, {result.Frames} frames {result.Width}×{result.Height} = {result.DurationSeconds:F1} s of video");
            r.Add("render_one_minute_model_pct", 100 * t.ModelSeconds / t.TotalSeconds, "%", $"{t.ModelSeconds:F2} s");
            r.Add("render_one_minute_decoder_pct", 100 * t.DecoderSeconds / t.TotalSeconds, "%", $"{t.DecoderSeconds:F2} s");
            r.Add("render_one_minute_ffmpeg_pct", 100 * t.FfmpegSeconds / t.TotalSeconds, "%", $"{t.FfmpegSeconds:F2} s (waiting on ffmpeg's pipe and exit)");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
