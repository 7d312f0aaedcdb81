using TttCluster.Model.Weights;

namespace TttCluster.Cli.Tests;

/// <summary>
/// Ctrl-C on the real program: after any single Ctrl-C the "stopped" line is printed and the latents of the last
/// finished step are on disk whole; after a second one nothing half-written remains under any name.
/// </summary>
public sealed class CtrlCTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttt-ctrlc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string OneMinuteStory => Path.Combine(CliRun.RepositoryRoot(), "examples", "one-minute.yaml");

    /// <summary>
    /// The story comes through a FIFO, so the test knows the process is running and blocked before it renders: a
    /// Ctrl-C then, long before the first step, still ends with the stopped line (it used to kill the process outright).
    /// </summary>
    [Fact]
    public async Task CtrlCBeforeTheFirstStep_StillPrintsTheStoppedLine()
    {
        string fifo = Path.Combine(_dir, "story.yaml");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        string latents = Path.Combine(_dir, "l.safetensors");
        using var ttt = TttProcess.Start("render", fifo, "-o", Path.Combine(_dir, "v.mp4"), "--save-latents", latents);

        // Opening the FIFO for writing returns once the render has opened it for reading.
        var story = await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write)).WaitAsync(TimeSpan.FromSeconds(90));
        ttt.Interrupt();
        try
        {
            story.Write(File.ReadAllBytes(OneMinuteStory));
            story.Dispose();
        }
        catch (IOException)
        {
            // The process is gone (what happened before the fix); the asserts below say so.
        }
        var (code, output, err) = ttt.WaitForExit();

        Assert.Equal(130, code);
        Assert.Contains("ttt: stopped during denoising step 1/20: no video was written", output);
        Assert.Contains("stopping at the next phase boundary", err);
        Assert.False(File.Exists(latents));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void CtrlCAfterSomeSteps_KeepsTheLastFinishedStepsLatentsWhole()
    {
        string latents = Path.Combine(_dir, "l.safetensors");
        using var ttt = TttProcess.Start("render", OneMinuteStory, "-o", Path.Combine(_dir, "v.mp4"), "--steps", "200", "--save-latents", latents);
        ttt.WaitForOutput(line => line.StartsWith("step 3/200 done"));
        ttt.Interrupt();
        var (code, output, _) = ttt.WaitForExit();

        Assert.Equal(130, code);
        string stopped = output.Split('\n').Single(l => l.StartsWith("ttt: stopped during denoising step "));
        int kept = int.Parse(stopped.Split("the latents after step ")[1].Split('/')[0]);
        Assert.True(kept >= 3, stopped);
        Assert.EndsWith($"are in {latents}", stopped);
        using (var file = SafetensorsFile.Open(latents))
        {
            Assert.Equal(kept.ToString(), file.Metadata["steps_done"]);
            Assert.Equal(file.Tensors[0].Shape.Aggregate(1L, (a, b) => a * b), file.Read("latents").Data.LongLength);
        }
        Assert.False(File.Exists(Path.Combine(_dir, "v.mp4")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void CtrlCWhileEncoding_KeepsTheFinalLatentsAndNoVideo()
    {
        string latents = Path.Combine(_dir, "l.safetensors"), video = Path.Combine(_dir, "v.mp4");
        using var ttt = TttProcess.Start("render", OneMinuteStory, "-o", video, "--steps", "2", "--save-latents", latents);
        // The last step is done: all of decoding and encoding (seconds of work) is still ahead.
        ttt.WaitForOutput(line => line.StartsWith("step 2/2 done"));
        ttt.Interrupt();
        var (code, output, _) = ttt.WaitForExit();

        Assert.Equal(130, code);
        Assert.Contains($"ttt: stopped while encoding the video: no video was written; the final latents (step 2/2) are in {latents}", output);
        using (var file = SafetensorsFile.Open(latents)) Assert.Equal("2", file.Metadata["steps_done"]);
        Assert.False(File.Exists(video));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    /// <summary>
    /// The second Ctrl-C comes right after the first one is acknowledged, usually before or while the first one's
    /// latents are written: whatever it interrupts, no temporary file may remain, and a latents file that exists is
    /// whole. (The exact mid-write moment is covered deterministically by <see cref="PartialFilesTests"/>.)
    /// </summary>
    [Fact]
    public void SecondCtrlC_LeavesNothingHalfWritten()
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            string folder = Directory.CreateDirectory(Path.Combine(_dir, $"attempt{attempt}")).FullName;
            string latents = Path.Combine(folder, "l.safetensors");
            using var ttt = TttProcess.Start("render", OneMinuteStory, "-o", Path.Combine(folder, "v.mp4"), "--steps", "200", "--save-latents", latents);
            ttt.WaitForOutput(line => line.StartsWith("step 2/200 done"));
            ttt.Interrupt();
            ttt.WaitForError(line => line.Contains("stopping at the next phase boundary"));
            ttt.Interrupt();   // may find the process already gone: the first Ctrl-C can finish first
            var (code, output, err) = ttt.WaitForExit();

            Assert.Equal(130, code);
            Assert.Equal([], Directory.GetFiles(folder, "*.tmp"));
            Assert.False(File.Exists(Path.Combine(folder, "v.mp4")));
            if (File.Exists(latents))
            {
                using var file = SafetensorsFile.Open(latents);   // whole, or it would not open
                Assert.True(int.Parse(file.Metadata["steps_done"]) >= 2);
            }
            // Either the second Ctrl-C quit the process, or the first had already stopped it cleanly.
            Assert.True(err.Contains("quitting at once") || output.Contains("ttt: stopped"),
                $"stdout:\n{output}\nstderr:\n{err}");
        }
    }
}
