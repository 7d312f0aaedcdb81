using TttCluster.Client;
using TttCluster.Rendering;

namespace TttCluster.Cli.Commands;

/// <summary>
/// `ttt submit | status | watch | cancel | download | stories`: the CLI as a client of a farm (`ttt serve`), through the
/// client SDK. The farm comes from --server or TTT_SERVER (default http://127.0.0.1:8080), the key from --key or
/// TTT_API_KEY.
/// </summary>
public static class FarmCommands
{
    public const string DefaultServer = "http://127.0.0.1:8080";

    private static readonly CliOption[] Connection =
    [
        new("--server", "URL", $"the farm (default: TTT_SERVER, else {DefaultServer})"),
        new("--key", "KEY", "the API key (default: TTT_API_KEY)"),
    ];

    private const string ConnectionDetails = "The farm is --server or TTT_SERVER; the API key --key or TTT_API_KEY (better: keys on command lines are visible to every user of the machine).";

    public static readonly CliCommand Submit = new("submit", "submit STORY.yaml [--priority N] [--watch] [--server URL] [--key KEY]",
        "send a story to a farm; prints its id (--watch: then follows it like watch)",
        $"A story the farm refuses is listed problem by problem, with line and column. {ConnectionDetails}",
        [new("--priority", "N", "-10 to 10, higher first (default 0)"), new("--watch", null, "follow the story until it ends"), .. Connection],
        (a, context) => Run(a, context, async (client, cancel) =>
        {
            a.AtMostPositionals(1, "submit");
            string path = a.Positional(0, "the story file (ttt submit STORY.yaml)");
            OutputFiles.CheckReadable("STORY", path, "a story file (YAML or JSON)");
            int? priority = a.OptionalInt("--priority", -10, 10);
            var story = await client.SubmitAsync(await File.ReadAllTextAsync(path, cancel), priority, cancel);
            context.Output.WriteLine($"{story.Id} {story.State}: {story.Segments} segments, {story.Steps} steps");
            return a.Flag("--watch") ? await Follow(client, story.Id, context, cancel) : 0;
        }));

    public static readonly CliCommand Status = new("status", "status ID [--server URL] [--key KEY]",
        "show a story on a farm: its state, steps, times and where each segment is", ConnectionDetails, Connection,
        (a, context) => Run(a, context, async (client, cancel) =>
        {
            a.AtMostPositionals(1, "status");
            var story = await client.GetAsync(a.Positional(0, "the story's id (ttt status ID)"), cancel);
            var o = context.Output;
            o.WriteLine($"{story.Id}: {story.State}, step {story.StepsDone}/{story.Steps}, {story.Segments} segments, priority {story.Priority}");
            o.WriteLine($"submitted {story.SubmittedAt:u}" + (story.StartedAt is { } s ? $", started {s:u}" : "") + (story.FinishedAt is { } f ? $", finished {f:u}" : ""));
            if (story.Error is not null) o.WriteLine($"error: {story.Error}");
            foreach (var segment in story.SegmentProgress.Where(p => p.Segment >= 0))
                o.WriteLine($"  segment {segment.Segment,3}: step {segment.Step + 1}, layer {segment.Layer + 1}, {segment.Phase} on {segment.Silo}");
            return 0;
        }));

    public static readonly CliCommand Watch = new("watch", "watch ID [--server URL] [--key KEY]",
        "follow a story on a farm as it renders, segment by segment, until it ends",
        $"Exit codes: 0 done, 1 failed or cancelled. A dropped connection is taken up again where it was. {ConnectionDetails}", Connection,
        (a, context) => Run(a, context, async (client, cancel) =>
        {
            a.AtMostPositionals(1, "watch");
            return await Follow(client, a.Positional(0, "the story's id (ttt watch ID)"), context, cancel);
        }));

    public static readonly CliCommand Cancel = new("cancel", "cancel ID [--server URL] [--key KEY]",
        "cancel a story on a farm (waiting: it leaves the queue; rendering: it stops at once)", ConnectionDetails, Connection,
        (a, context) => Run(a, context, async (client, cancel) =>
        {
            a.AtMostPositionals(1, "cancel");
            var story = await client.CancelAsync(a.Positional(0, "the story's id (ttt cancel ID)"), cancel);
            context.Output.WriteLine($"{story.Id} {story.State} after {story.StepsDone}/{story.Steps} steps");
            return 0;
        }));

    public static readonly CliCommand Download = new("download", "download ID [-o OUT.mp4] [--server URL] [--key KEY]",
        "fetch a finished story's video from a farm", $"Without -o the video goes to {RenderCommand.DefaultFolder}/ID.mp4. {ConnectionDetails}",
        [new("--out", "OUT.mp4", $"where the video goes (default {RenderCommand.DefaultFolder}/ID.mp4)", Alias: "-o"), .. Connection],
        (a, context) => Run(a, context, async (client, cancel) =>
        {
            a.AtMostPositionals(1, "download");
            string id = a.Positional(0, "the story's id (ttt download ID)");
            string path = a.Optional("--out") ?? Path.Combine(RenderCommand.DefaultFolder, id + ".mp4");
            if (a.Optional("--out") is null) Directory.CreateDirectory(RenderCommand.DefaultFolder);
            OutputFiles.CheckWritable("--out", path, ".mp4");
            // Into a temporary file first: a failed download leaves nothing under the video's name.
            string partial = path + ".part";
            try
            {
                await using (var file = File.Create(partial)) await client.DownloadVideoAsync(id, file, cancel);
                File.Move(partial, path, overwrite: true);
            }
            finally
            {
                File.Delete(partial);
            }
            context.Output.WriteLine($"wrote {path} ({new FileInfo(path).Length:N0} bytes)");
            return 0;
        }));

    public static readonly CliCommand Stories = new("stories", "stories [--offset N] [--limit N] [--server URL] [--key KEY]",
        "list this key's stories on a farm, newest first", ConnectionDetails,
        [new("--offset", "N", "skip the N newest (default 0)"), new("--limit", "N", "at most N, 1 to 100 (default 20)"), .. Connection],
        (a, context) => Run(a, context, async (client, cancel) =>
        {
            a.AtMostPositionals(0, "stories");
            var page = await client.ListAsync(a.OptionalInt("--offset", 0, int.MaxValue) ?? 0, a.OptionalInt("--limit", 1, 100) ?? 20, cancel);
            foreach (var s in page.Stories)
                context.Output.WriteLine($"{s.Id}  {s.State,-9}  {s.StepsDone,4}/{s.Steps,-4} steps  {s.Segments,3} segments  submitted {s.SubmittedAt:u}");
            context.Output.WriteLine($"{page.Stories.Count} of {page.Total} stories shown");
            return 0;
        }));

    /// <summary>Watches until the story ends, with the same per-segment board as a local render.</summary>
    private static async Task<int> Follow(TttClient client, string id, CliContext context, CancellationToken cancel)
    {
        ProgressBoard? board = null;
        StoryInfo? last = null;
        await foreach (var update in client.WatchAsync(id, cancel))
        {
            if (update.Story is { } story)
            {
                board ??= new ProgressBoard(story.Segments, story.Steps, context.Output, ProgressBoard.StyleFor(false, context.OutputIsTerminal));
                if (last?.State != story.State && !context.OutputIsTerminal) context.Output.WriteLine($"{story.Id} {story.State}");
                last = story;
            }
            else if (update.Progress is { } p && board is not null && last is not null)
                board.Report(new RenderProgress("sampling", p.Step, last.Steps, p.Segment, p.Layer, p.Segment < 0 ? p.Phase : $"{p.Phase} ({p.Silo})"));
        }
        board?.Finish();
        if (last is null) return 1;
        // Off a terminal every change of state has its line already: the last one again would say the same twice.
        if (context.OutputIsTerminal || last.Error is not null)
            context.Output.WriteLine($"{last.Id} {last.State}" + (last.Error is null ? "" : $": {last.Error}"));
        return last.State == "done" ? 0 : 1;
    }

    /// <summary>Connects as the options say, runs <paramref name="work"/>, and turns the farm's refusals into one clear message.</summary>
    private static int Run(CliArguments a, CliContext context, Func<TttClient, CancellationToken, Task<int>> work)
    {
        context.Interrupts.CanStop = true;
        string server = a.Optional("--server") ?? (Environment.GetEnvironmentVariable("TTT_SERVER") is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultServer);
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new CliException($"--server: expected the farm's URL such as {DefaultServer}, found \"{server}\"");
        string key = a.Optional("--key") ?? Environment.GetEnvironmentVariable("TTT_API_KEY")
            ?? throw new CliException("no API key: give --key KEY or set TTT_API_KEY (ttt serve keeps its key in DATA/api-keys)");
        using var client = new TttClient(uri, key);
        try
        {
            return work(client, context.Interrupts.StopRequested).GetAwaiter().GetResult();
        }
        catch (InvalidStoryException e)
        {
            string lines = string.Join(Environment.NewLine, e.Problems.Select(p => "  " + p.Message));
            throw new CliException($"the farm refused the story ({e.Problems.Count} problem(s)):{Environment.NewLine}{lines}");
        }
        catch (TttApiException e)
        {
            throw new CliException($"the farm answered {e.Status} {e.Title}" + (e.Detail is null ? "" : $": {e.Detail}"));
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the farm at {uri}: {e.Message} (is `ttt serve` running? --server or TTT_SERVER says where)");
        }
    }
}
