using TttCluster.Rendering;

namespace TttCluster.Cli.Commands;

/// <summary>
/// `ttt render STORY -o OUT.mp4 [--steps N] [--seed S] [--silos N] [--save-latents FILE] [--model FILE]`: the main job.
/// Ctrl-C stops at the next phase boundary and says what was kept; a second Ctrl-C ends the process at once.
/// </summary>
public static class RenderCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        var a = new CliArguments(args, new HashSet<string> { "-o", "--out", "--steps", "--seed", "--silos", "--save-latents", "--model" },
            new HashSet<string> { "--quiet", "--processes" });
        string storyPath = a.Positional(0, "the story file (ttt render STORY.yaml -o OUT.mp4)");
        string videoPath = a.Optional("-o") ?? a.Optional("--out") ?? Path.ChangeExtension(Path.GetFileName(storyPath), ".mp4");
        if (!videoPath.EndsWith(".mp4", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"-o: expected a path ending in .mp4, found '{videoPath}'");
        string? outDir = Path.GetDirectoryName(Path.GetFullPath(videoPath));
        if (outDir is not null && !Directory.Exists(outDir))
            throw new CliException($"-o: the folder {outDir} does not exist");
        int? silos = a.Optional("--silos") is null ? null : a.RequiredInt("--silos", 1, 64);
        if (a.Flag("--processes") && silos is null) throw new CliException("--processes: also give --silos N (how many silo processes to start)");

        var model = StoryLoading.LoadModel(a.Optional("--model"));
        var story = StoryLoading.Load(storyPath, model);
        int? stepsOverride = a.Optional("--steps") is null ? null : a.RequiredInt("--steps", 1, 1000);
        ulong? seedOverride = null;
        if (a.Optional("--seed") is { } rawSeed)
            seedOverride = ulong.TryParse(rawSeed, out ulong parsed) ? parsed : throw new CliException($"--seed: expected a whole number ≥ 0, found '{rawSeed}'");
        var request = StoryRequests.ToRequest(story, seedOverride, stepsOverride);
        int steps = request.Sampler.Steps;
        ulong seed = request.Seed;

        if (!model.IsTrained)
            output.WriteLine("note: this model is a seeded initialisation, not a trained model: the video shows what the untrained network makes of the story.");
        output.WriteLine($"rendering \"{story.Title}\": {story.Scenes.Count} scenes, {steps} steps, seed {seed}, guidance {request.Sampler.Guidance}" +
                         (silos is { } n ? $", on {n} {(a.Flag("--processes") ? "silo processes on loopback" : "in-process silos")}" : ""));

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancel.IsCancellationRequested) return;   // second Ctrl-C: let the runtime end the process
            e.Cancel = true;
            cancel.Cancel();
            Console.Error.WriteLine("ttt: stopping at the next phase boundary (Ctrl-C again to quit at once)...");
        };
        Console.CancelKeyPress += onCancel;
        var board = new ProgressBoard(story.Scenes.Count, steps, output, interactive: !Console.IsOutputRedirected && !a.Flag("--quiet"));
        try
        {
            var result = new StoryRenderer(model) { Silos = silos, Processes = a.Flag("--processes"), ModelPath = a.Optional("--model") ?? StoryLoading.DefaultModelPath }.Render(request, videoPath, a.Optional("--save-latents"), board.Report, cancel.Token);
            board.Finish();
            var t = result.Timings;
            output.WriteLine($"wrote {result.VideoPath}: {result.Frames} frames, {result.Width}×{result.Height}, {result.FramesPerSecond} fps, {result.DurationSeconds:F2} s");
            output.WriteLine($"wrote {result.ContactSheetPath}: one frame per scene");
            if (result.LatentsPath is not null) output.WriteLine($"wrote {result.LatentsPath}: final latents");
            output.WriteLine($"time: {t.TotalSeconds:F1} s = model {t.ModelSeconds:F1} s ({100 * t.ModelSeconds / t.TotalSeconds:F0}%), " +
                             $"decoder {t.DecoderSeconds:F1} s ({100 * t.DecoderSeconds / t.TotalSeconds:F0}%), ffmpeg {t.FfmpegSeconds:F1} s ({100 * t.FfmpegSeconds / t.TotalSeconds:F0}%)");
            return 0;
        }
        catch (OperationCanceledException e)
        {
            board.Finish();
            output.WriteLine($"ttt: {(e is RenderCancelledException ? e.Message : "stopped: no video was written")}");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
