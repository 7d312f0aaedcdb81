using TttCluster.Rendering;

namespace TttCluster.Cli.Commands;

/// <summary>
/// `ttt render STORY`: the main job. Every file it will write is checked first, so a bad output path fails in the first
/// second. Ctrl-C stops at the next phase boundary and says what was kept; a second Ctrl-C quits at once and leaves no
/// half-written file.
/// </summary>
public static class RenderCommand
{
    /// <summary>Where a render goes when -o is not given: out/STORY-NAME.mp4 under the current folder (git ignores out/).</summary>
    public const string DefaultFolder = "out";

    public static readonly CliCommand Command = new("render",
        "render STORY.yaml [-o OUT.mp4] [--steps N] [--seed S] [--save-latents FILE] [--model FILE] [--quiet] [--silos N [--processes [--storage CONNSTR]]]",
        "render a story into an MP4 and a contact sheet (one frame per scene) on this machine",
        """
        STORY.yaml is a story file (YAML or JSON; docs/STORY.md). The render runs in this process with no services,
        or on --silos N Orleans silos inside this process, or on N ttt-silo processes on loopback with --processes;
        the latents are bit-identical either way. On a terminal each segment's progress is redrawn in place; piped, one line per
        finished step. Ctrl-C stops at the next phase boundary and keeps the last finished step's latents when
        --save-latents is given; a second Ctrl-C quits at once. Exit codes: 0 done, 2 bad input, 130 stopped.
        """,
        [
            new("--out", "OUT.mp4", $"where the video goes (default {DefaultFolder}/STORY.mp4); the contact sheet goes beside it as OUT.contact.png", Alias: "-o"),
            new("--steps", "N", "denoising steps, 1 to 1000 (default: the story's settings.steps, else 20)"),
            new("--seed", "S", "noise seed, a whole number ≥ 0 (default: the story's seed, else 0)"),
            new("--save-latents", "FILE", "also write the final latents as safetensors (after Ctrl-C: the last finished step's)"),
            StoryLoading.ModelOption,
            new("--quiet", null, "print only a summary line at the end (and errors)"),
            new("--silos", "N", "render on N in-process silos, 1 to 64"),
            new("--processes", null, "with --silos N: start N ttt-silo processes on loopback instead"),
            new("--storage", "CONNSTR", "with --processes: the silos find each other through Orleans' membership table in Azure Table storage (a connection string; Azurite locally) instead of through this process"),
        ],
        Run);

    private static int Run(CliArguments a, CliContext context)
    {
        var output = context.Output;
        // From the first moment: a Ctrl-C while the model loads still ends with the "stopped" line.
        context.Interrupts.CanStop = true;
        a.AtMostPositionals(1, "render");
        string storyPath = a.Positional(0, "the story file (ttt render STORY.yaml)");
        bool quiet = a.Flag("--quiet");
        int? silos = a.OptionalInt("--silos", 1, 64);
        if (a.Flag("--processes") && silos is null) throw new CliException("--processes: also give --silos N (how many silo processes to start)");
        string? storage = a.Optional("--storage");
        if (storage is not null && !a.Flag("--processes")) throw new CliException("--storage: also give --silos N --processes (the silo processes use it to find each other)");
        if (storage is not null && TttCluster.Grains.SiloHosts.StorageConnectionProblem(storage) is { } problem)
            throw new CliException($"--storage: expected an Azure Storage connection string (AccountName=...;AccountKey=...;TableEndpoint=... or UseDevelopmentStorage=true), found one that {problem}");
        int? stepsOverride = a.OptionalInt("--steps", 1, 1000);
        ulong? seedOverride = a.OptionalSeed("--seed");
        string? outOption = a.Optional("--out");
        bool defaultVideo = outOption is null;
        string videoPath = OutputFiles.VideoPath(outOption, storyPath);
        string? latentsPath = a.Optional("--save-latents");
        if (defaultVideo) OutputFiles.CheckDefaultWritable(videoPath);
        else OutputFiles.CheckWritable("--out", videoPath, ".mp4");
        if (latentsPath is not null) OutputFiles.CheckWritable("--save-latents", latentsPath, ".safetensors");
        string? modelPath = a.Optional("--model");

        var model = StoryLoading.LoadModel(modelPath);
        var story = StoryLoading.Load(storyPath, model);
        var request = StoryRequests.ToRequest(story, model, seedOverride, stepsOverride);
        int steps = request.Sampler.Steps;

        if (!quiet)
        {
            if (!model.IsTrained)
                output.WriteLine("note: this model is a seeded initialisation, not a trained model: the video shows what the untrained network makes of the story.");
            output.WriteLine($"rendering \"{story.Title}\": {story.Scenes.Count} scenes, {steps} steps, seed {request.Seed}, guidance {request.Sampler.Guidance}" +
                             (silos is { } n ? $", on {n} {(a.Flag("--processes") ? "silo processes on loopback" : "in-process silos")}" : ""));
        }

        if (defaultVideo) OutputFiles.CreateDefaultFolder(videoPath);
        var board = new ProgressBoard(story.Scenes.Count, steps, output, ProgressBoard.StyleFor(quiet, context.OutputIsTerminal));
        var renderer = new StoryRenderer(model) { Silos = silos, Processes = a.Flag("--processes"), Storage = storage, ModelPath = modelPath ?? StoryLoading.DefaultModelPath };
        try
        {
            var result = renderer.Render(request, videoPath, latentsPath, board.Report, context.Interrupts.StopRequested);
            board.Finish();
            var t = result.Timings;
            if (quiet)
            {
                output.WriteLine($"wrote {result.VideoPath} ({result.Frames} frames, {result.Width}×{result.Height}, {result.DurationSeconds:F1} s of video)" +
                                 $", {result.ContactSheetPath}" + (result.LatentsPath is null ? "" : $" and {result.LatentsPath}") +
                                 $" in {t.TotalSeconds:F1} s" + (model.IsTrained ? "" : "; untrained model"));
                return 0;
            }
            output.WriteLine($"wrote {result.VideoPath}: {result.Frames} frames, {result.Width}×{result.Height}, {result.FramesPerSecond} fps, {result.DurationSeconds:F2} s");
            output.WriteLine($"wrote {result.ContactSheetPath}: one frame per scene");
            if (result.LatentsPath is not null) output.WriteLine($"wrote {result.LatentsPath}: final latents");
            output.WriteLine($"time: {t.TotalSeconds:F1} s = model {t.ModelSeconds:F1} s ({100 * t.ModelSeconds / t.TotalSeconds:F0}%), " +
                             $"decoder {t.DecoderSeconds:F1} s ({100 * t.DecoderSeconds / t.TotalSeconds:F0}%), ffmpeg {t.FfmpegSeconds:F1} s ({100 * t.FfmpegSeconds / t.TotalSeconds:F0}%)");
            return 0;
        }
        catch (OperationCanceledException e) when (context.Interrupts.StopRequested.IsCancellationRequested)
        {
            board.Finish();
            output.WriteLine($"ttt: {(e is RenderCancelledException ? e.Message : "stopped: no video was written")}");
            return 130;
        }
    }
}
