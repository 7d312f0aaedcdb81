using System.Diagnostics;
using TttCluster.Model.Weights;

namespace TttCluster.Cli.Tests;

/// <summary>`ttt render` as a user meets it: output modes, checks before the work, and where files go.</summary>
public sealed class RenderCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttt-render-cmd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Quiet_PrintsOneSummaryLine()
    {
        string story = CliRun.WriteTwoSceneStory(_dir);
        var (code, output, err) = CliRun.Ttt("render", story, "-o", Path.Combine(_dir, "q.mp4"), "--steps", "2", "--quiet");

        Assert.True(code == 0, err);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"wrote {Path.Combine(_dir, "q.mp4")}", line);
        Assert.Contains("q.contact.png", line);
        Assert.Equal("", err);
    }

    [Fact]
    public void Piped_PrintsOneLinePerStepAndNoRedrawnTable()
    {
        string story = CliRun.WriteTwoSceneStory(_dir);
        var (code, output, err) = CliRun.Ttt("render", story, "-o", Path.Combine(_dir, "p.mp4"), "--steps", "3");

        Assert.True(code == 0, err);
        Assert.DoesNotContain("\u001b[", output);                      // no cursor movement
        Assert.DoesNotContain("segment   0", output);                  // no per-segment table
        var stepLines = output.Split('\n').Where(l => l.StartsWith("step ")).ToArray();
        Assert.Equal(["step 1/3", "step 2/3", "step 3/3"], stepLines.Select(l => l[..8]));
    }

    /// <summary>The README's first command writes under out/, which git ignores: a render leaves `git status` clean.</summary>
    [Fact]
    public void TheReadmesRender_WritesOnlyWhereGitIgnores()
    {
        string root = CliRun.RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        Assert.Contains("./ttt render examples/one-minute.yaml    #", readme);
        string video = OutputFilesVideoPath("examples/one-minute.yaml");
        Assert.Equal(Path.Combine("out", "one-minute.mp4"), video);
        foreach (string written in new[] { video, Path.ChangeExtension(video, ".contact.png"), "one-minute.mp4", "x.contact.png" })
        {
            var git = Process.Start(new ProcessStartInfo("git", ["check-ignore", "-q", "--no-index", written])
                { WorkingDirectory = root, RedirectStandardError = true })!;
            git.WaitForExit();
            Assert.True(git.ExitCode == 0, $"git does not ignore {written} (check-ignore exit {git.ExitCode}: {git.StandardError.ReadToEnd()})");
        }
    }

    private static string OutputFilesVideoPath(string story) => Commands.OutputFiles.VideoPath(null, Path.Combine("no-such-folder", story));

    [Fact]
    public void UnwritableOutputs_FailBeforeAnyModelWork()
    {
        using var readOnly = ReadOnlyFolder.Create();
        string story = CliRun.WriteTwoSceneStory(_dir);
        // A model path that does not exist: had the model been loaded first, the error would be about --model.
        string missingModel = Path.Combine(_dir, "no-model.safetensors");
        string video = Path.Combine(readOnly.Path, "x.mp4");

        var (code, output, err) = CliRun.Ttt("render", story, "-o", video, "--model", missingModel);
        Assert.Equal(2, code);
        Assert.Equal($"ttt: error: --out: cannot write {video}: {readOnly.Reason} (no file can be created in {readOnly.Path})", err.Trim());
        Assert.Equal("", output);

        string latents = Path.Combine(readOnly.Path, "x.safetensors");
        (code, _, err) = CliRun.Ttt("render", story, "-o", Path.Combine(_dir, "ok.mp4"), "--save-latents", latents, "--model", missingModel);
        Assert.Equal(2, code);
        Assert.StartsWith($"ttt: error: --save-latents: cannot write {latents}: {readOnly.Reason}", err);

        (code, _, err) = CliRun.Ttt("init-model", "--seed", "1", "--out", latents);
        Assert.Equal(2, code);
        Assert.StartsWith($"ttt: error: --out: cannot write {latents}: {readOnly.Reason}", err);

        string json = Path.Combine(readOnly.Path, "bench.json");
        (code, output, err) = CliRun.Ttt("bench", "--quick", "--json", json);
        Assert.Equal(2, code);
        Assert.StartsWith($"ttt: error: --json: cannot write {json}: {readOnly.Reason}", err);
        Assert.Equal("", output);   // not one figure measured

        (code, _, err) = CliRun.Ttt("render", story, "-o", Path.Combine(_dir, "missing-folder", "x.mp4"));
        Assert.Equal(2, code);
        Assert.Contains($"the folder {Path.Combine(_dir, "missing-folder")} does not exist", err);
    }

    [Fact]
    public void MissingInputs_AreNamedInOurWords()
    {
        string story = CliRun.WriteTwoSceneStory(_dir);
        string missing = Path.Combine(_dir, "nope.safetensors");

        var (code, _, err) = CliRun.Ttt("render", story, "--model", missing);
        Assert.Equal(2, code);
        Assert.Equal($"ttt: error: --model: expected a model file (.safetensors), found no such file: {missing}", err.Trim());

        (code, _, err) = CliRun.Ttt("info", _dir);
        Assert.Equal($"ttt: error: WEIGHTS: expected a weights file (.safetensors), found a folder: {_dir}", err.Trim());

        (code, _, err) = CliRun.Ttt("validate", story, "--model", missing);
        Assert.Contains("found no such file", err);
        Assert.DoesNotContain("Could not find file", err);
    }

    [Fact]
    public void JsonStoryWithATrailingComma_IsExplainedInOurWords()
    {
        string story = Path.Combine(_dir, "comma.json");
        File.WriteAllText(story, """{"title": "T", "scenes": [{"text": "A"},]}""");
        var (code, _, err) = CliRun.Ttt("validate", story);

        Assert.Equal(2, code);
        Assert.Contains($"{story}:1:41: expected another value after ',' (JSON allows no comma before a closing ]), found ']'", err);
        Assert.DoesNotContain("reader options", err);
    }

    [Fact]
    public void KeptLatents_AreWholeAndSayTheirStep()
    {
        string story = CliRun.WriteTwoSceneStory(_dir);
        string latents = Path.Combine(_dir, "l.safetensors");
        var (code, _, err) = CliRun.Ttt("render", story, "-o", Path.Combine(_dir, "l.mp4"), "--steps", "2", "--save-latents", latents, "--quiet");
        Assert.True(code == 0, err);
        using var file = SafetensorsFile.Open(latents);
        Assert.Equal("2", file.Metadata["steps_done"]);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }
}

/// <summary>Renders that depend on the current folder; alone, since the current folder belongs to the whole process.</summary>
[CollectionDefinition(nameof(CurrentFolderTests), DisableParallelization = true)]
[Collection(nameof(CurrentFolderTests))]
public sealed class CurrentFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttt-render-cwd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WithoutOut_TheVideoGoesUnderOut()
    {
        string story = CliRun.WriteTwoSceneStory(_dir, "kitchen.yaml");
        string before = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = _dir;
            var (code, output, err) = CliRun.Ttt("render", story, "--steps", "1", "--quiet");
            Assert.True(code == 0, err);
            Assert.StartsWith($"wrote {Path.Combine("out", "kitchen.mp4")}", output);
        }
        finally
        {
            Environment.CurrentDirectory = before;
        }
        Assert.True(File.Exists(Path.Combine(_dir, "out", "kitchen.mp4")));
        Assert.True(File.Exists(Path.Combine(_dir, "out", "kitchen.contact.png")));
    }


    /// <summary>In a folder where out/ cannot be made, the render says so before any work and creates nothing.</summary>
    [Fact]
    public void WithoutOut_InAReadOnlyFolder_FailsBeforeAnyWork()
    {
        using var readOnly = ReadOnlyFolder.Create();
        string story = CliRun.WriteTwoSceneStory(_dir, "kitchen.yaml");
        string before = Environment.CurrentDirectory;
        (int Code, string Out, string Err) result;
        try
        {
            Environment.CurrentDirectory = readOnly.Path;
            result = CliRun.Ttt("render", story, "--model", Path.Combine(_dir, "no-model.safetensors"));
        }
        finally
        {
            Environment.CurrentDirectory = before;
        }
        Assert.Equal(2, result.Code);
        Assert.StartsWith($"ttt: error: --out (default {Path.Combine("out", "kitchen.mp4")}): cannot create the folder {Path.Combine(readOnly.Path, "out")}: {readOnly.Reason}", result.Err);
        Assert.False(Directory.Exists(Path.Combine(readOnly.Path, "out")));
    }
}
