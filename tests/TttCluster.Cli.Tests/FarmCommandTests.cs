using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using TttCluster.Files;

namespace TttCluster.Cli.Tests;

/// <summary>
/// `ttt serve` as a real process for all of <see cref="FarmCommandTests"/> (they run one after another), rendering one
/// story at a time, with one tenant "studio" and its key.
/// </summary>
public sealed class ServeProcess : IDisposable
{
    public const string Key = "cli-farm-test-key-0123456789";
    private readonly TttProcess _serve;

    public string Folder { get; }
    public string DataFolder => Path.Combine(Folder, "farm");
    public string Url { get; }

    public ServeProcess()
    {
        Folder = Directory.CreateTempSubdirectory("ttt-cli-farm-").FullName;
        string keys = Path.Combine(Folder, "keys");
        File.WriteAllText(keys, $"studio {Key}\n");
        _serve = TttProcess.Start("serve", "--port", "0", "--data", DataFolder, "--keys", keys, "--concurrent", "1");
        const string Listening = "ttt serve: listening on ";
        Url = _serve.WaitForOutput(l => l.StartsWith(Listening))[Listening.Length..].Split(';')[0].Trim();
    }

    public void Dispose()
    {
        // Stopped as its owner would (Ctrl-C); killed if it had already gone.
        if (_serve.Interrupt()) _serve.WaitForExit();
        _serve.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>
/// The CLI as a farm's client, each command a real `ttt` process against a real `ttt serve`: submit and watch, status,
/// stories, download, cancel, the farm and key from the environment, and a clear one-line error with exit code 2 for
/// each way it can go wrong (wrong key, missing id, nothing listening, no key).
/// </summary>
public class FarmCommandTests(ServeProcess farm, ITestOutputHelper output) : IClassFixture<ServeProcess>
{
    private const string MissingId = "s_0123456789abcdef";

    /// <summary>Runs ttt in a process with neither TTT_SERVER nor TTT_API_KEY unless <paramref name="environment"/> sets them.</summary>
    private (int Code, string Out, string Err) Ttt(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var changes = new Dictionary<string, string?> { ["TTT_SERVER"] = null, ["TTT_API_KEY"] = null };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) changes[name] = value;
        using var process = TttProcess.StartWithEnvironment(changes, args);
        var result = process.WaitForExit();
        output.WriteLine($"$ ttt {string.Join(' ', args)}\nexit {result.Code}\n{result.Out}\n{result.Err}\n");
        return result;
    }

    /// <summary>Runs ttt against the test's farm with its key, by --server and --key.</summary>
    private (int Code, string Out, string Err) OnFarm(params string[] args) => Ttt(null, [.. args, "--server", farm.Url, "--key", ServeProcess.Key]);

    private string WriteStory(string name, int scenes, int steps) => WriteFile(name,
        $"title: {name}\nseed: 11\nsettings: {{ steps: {steps}, guidance: 4.0 }}\nscenes:\n" +
        string.Concat(Enumerable.Range(0, scenes).Select(k => $"  - text: \"{name}, scene {k}: Jerry slips past the cat.\"\n")));

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(farm.Folder, $"{name}-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The id a submission printed first: "ID STATE: N segments, M steps".</summary>
    private static string SubmittedId(string stdout)
    {
        var first = Regex.Match(stdout, @"\A(s_[0-9a-f]{16}) queued: (\d+) segments, (\d+) steps$", RegexOptions.Multiline);
        Assert.True(first.Success, $"the submission printed no id first:\n{stdout}");
        return first.Groups[1].Value;
    }

    /// <summary>A failure is one "ttt: error: ..." line with the reason, never an exception's stack trace.</summary>
    private static void AssertClearError((int Code, string Out, string Err) result, string expected)
    {
        Assert.Equal(2, result.Code);
        Assert.StartsWith("ttt: error: ", result.Err);
        Assert.Contains(expected, result.Err);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.DoesNotContain("Exception", result.Err);
    }

    [Fact]
    public void SubmitWatch_FollowsTheStoryToDone_ThenStatusStoriesAndDownloadShowIt()
    {
        var submit = OnFarm("submit", WriteStory("Watched", scenes: 2, steps: 3), "--priority", "2", "--watch");
        Assert.Equal(0, submit.Code);
        string id = SubmittedId(submit.Out);
        Assert.Contains($"{id} queued: 2 segments, 3 steps", submit.Out);
        // Piped, the board prints a line per finished step; the watch ends on the final state.
        for (int step = 1; step <= 3; step++) Assert.Contains($"step {step}/3 done", submit.Out);
        Assert.Contains($"{id} rendering", submit.Out);
        Assert.Equal($"{id} done", submit.Out.TrimEnd().Split('\n')[^1]);

        var status = OnFarm("status", id);
        Assert.Equal(0, status.Code);
        Assert.StartsWith($"{id}: done, step 3/3, 2 segments, priority 2", status.Out);
        Assert.Matches(@"submitted \S+ \S+, started \S+ \S+, finished \S+ \S+", status.Out);

        var stories = OnFarm("stories", "--limit", "100");
        Assert.Equal(0, stories.Code);
        Assert.Matches($@"(?m)^{id}  done\s+3/3\s+steps\s+2 segments  submitted ", stories.Out);
        Assert.Matches(@"(?m)^\d+ of \d+ stories shown$", stories.Out);

        string video = Path.Combine(farm.Folder, $"{id}.mp4");
        var download = OnFarm("download", id, "-o", video);
        Assert.Equal(0, download.Code);
        byte[] mp4 = File.ReadAllBytes(video);
        Assert.Equal($"wrote {video} ({mp4.Length:N0} bytes)", download.Out.Trim());
        Assert.Equal("ftyp", Encoding.ASCII.GetString(mp4, 4, 4));
        Assert.Equal(File.ReadAllBytes(Path.Combine(farm.DataFolder, "blobs", "videos", id + ".mp4")), mp4);
        Assert.False(File.Exists(video + ".part"));
    }

    /// <summary>On a terminal the watch draws the same per-segment table as a local render (run in this process, as a terminal).</summary>
    [Fact]
    public void SubmitWatch_OnATerminal_DrawsTheSegmentTable()
    {
        var screen = new StringWriter();
        var error = new StringWriter();
        using var interrupts = new Interrupts(error, new PartialFiles());
        int code = CliApp.Run(["submit", WriteStory("Table", scenes: 2, steps: 2), "--watch", "--server", farm.Url, "--key", ServeProcess.Key],
            new CliContext(screen, error, OutputIsTerminal: true, interrupts));
        string shown = screen.ToString();
        output.WriteLine(shown);
        Assert.True(code == 0, error.ToString());
        string id = SubmittedId(shown);
        // A row per segment (where each segment last was: segments' own progress is best effort, the steps are not).
        Assert.Matches(@"segment   0   step   [12]/2   layer \d+", shown);
        Assert.Matches(@"segment   1   step   [12]/2   layer \d+", shown);
        Assert.Contains("sampling: 2/2 steps", shown);
        Assert.EndsWith($"{id} done", shown.TrimEnd());
    }

    [Fact]
    public void Cancel_StopsASecondStory_AndItsWatchEndsCancelled()
    {
        var submit = OnFarm("submit", WriteStory("Cancelled", scenes: 2, steps: 200));
        Assert.Equal(0, submit.Code);
        string id = SubmittedId(submit.Out);

        var cancel = OnFarm("cancel", id);
        Assert.Equal(0, cancel.Code);
        Assert.Matches($@"^{id} cancelled after \d+/200 steps$", cancel.Out.Trim());
        var watch = OnFarm("watch", id);
        Assert.Equal(1, watch.Code);   // the story did not finish
        Assert.Equal($"{id} cancelled", watch.Out.TrimEnd().Split('\n')[^1]);
        AssertClearError(OnFarm("cancel", id), "409 story already ended");
        AssertClearError(OnFarm("download", id, "-o", Path.Combine(farm.Folder, "none.mp4")), "409 not rendered yet");
        Assert.False(File.Exists(Path.Combine(farm.Folder, "none.mp4")));
    }

    [Fact]
    public void TheEnvironment_GivesTheFarmAndTheKey_AndOptionsOverrideIt()
    {
        var environment = new Dictionary<string, string?> { ["TTT_SERVER"] = farm.Url, ["TTT_API_KEY"] = ServeProcess.Key };
        var submit = Ttt(environment, "submit", WriteStory("Environment", scenes: 1, steps: 1));
        Assert.Equal(0, submit.Code);
        string id = SubmittedId(submit.Out);
        var status = Ttt(environment, "status", id);
        Assert.Equal(0, status.Code);
        Assert.StartsWith($"{id}: ", status.Out);
        Assert.Contains(id, Ttt(environment, "stories", "--limit", "100").Out);
        // --key wins over TTT_API_KEY.
        AssertClearError(Ttt(environment, "status", id, "--key", "key-of-nobody-at-all-000000"), "401 unauthorized");
        Assert.Equal(0, OnFarm("watch", id).Code);   // leaves nothing rendering for the next test
    }

    [Fact]
    public void WrongKey_MissingId_AndABadStory_AreClearErrors()
    {
        AssertClearError(Ttt(null, "stories", "--server", farm.Url, "--key", "key-of-nobody-at-all-000000"),
            "the farm answered 401 unauthorized: the API key is not valid");
        foreach (string command in new[] { "status", "watch", "cancel" })
            AssertClearError(OnFarm(command, MissingId), $"the farm answered 404 no such story: there is no story \"{MissingId}\" for this API key");
        var refused = OnFarm("submit", WriteFile("broken", "title: Broken\nseed: -4\nscenes:\n  - text: \"\"\n"));
        AssertClearError(refused, "the farm refused the story (");
        Assert.Matches(@"(?m)^  story:2:\d+: seed: expected ", refused.Err);   // each problem with its line and column
    }

    [Fact]
    public void NoFarmListening_IsAClearError()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();   // free a moment ago: nothing listens there now
        string nowhere = $"http://127.0.0.1:{port}";
        foreach (var args in new[] { new[] { "status", MissingId }, ["watch", MissingId], ["submit", WriteStory("Nowhere", 1, 1)] })
            AssertClearError(Ttt(null, [.. args, "--server", nowhere, "--key", ServeProcess.Key]),
                $"cannot reach the farm at {nowhere}/: Connection refused");
    }

    [Fact]
    public void NoServerOrKeyGiven_SaysWhatIsMissing()
    {
        AssertClearError(Ttt(null, "status", MissingId, "--server", farm.Url), "no API key: give --key KEY or set TTT_API_KEY");
        AssertClearError(Ttt(null, "stories", "--server", "farm.example:8080", "--key", ServeProcess.Key), "--server: expected the farm's URL");
        // Without --server or TTT_SERVER the CLI looks for a farm at its default address, and says so when none answers.
        var result = Ttt(null, "status", MissingId, "--key", ServeProcess.Key);
        Assert.Equal(2, result.Code);
        Assert.DoesNotContain("   at ", result.Err);
        if (!SomethingListensOn(8080))
        {
            AssertClearError(result, "cannot reach the farm at http://127.0.0.1:8080/: Connection refused");
            Assert.Contains("--server or TTT_SERVER says where", result.Err);
        }
    }

    private static bool SomethingListensOn(int port)
    {
        using var probe = new TcpClient();
        try
        {
            probe.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
