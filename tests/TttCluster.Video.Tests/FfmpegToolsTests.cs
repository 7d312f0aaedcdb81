namespace TttCluster.Video.Tests;

/// <summary>A missing ffmpeg is reported with the fix, and leaves nothing behind.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class FfmpegToolsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Find_LocatesInstalledToolsOnPath()
    {
        // CI installs ffmpeg with scripts/install-deps.sh; its absence is a failure here, not a skip.
        Assert.True(File.Exists(FfmpegTools.Find("ffmpeg")));
        Assert.True(File.Exists(FfmpegTools.Find("ffprobe")));
    }

    [Fact]
    public void Find_NothingOnPathNamesTheInstallCommand()
    {
        using var path = new EnvironmentVariableScope("PATH", _dir.Path);
        using var noOverride = new EnvironmentVariableScope("TTT_FFMPEG", null);
        var e = Assert.Throws<VideoEncodingException>(() => FfmpegTools.Find("ffmpeg"));
        Assert.Equal("ffmpeg not found on PATH; install it: sudo apt-get install ffmpeg (or run scripts/install-deps.sh)", e.Message);
    }

    [Fact]
    public void Find_OverrideVariableWinsOverPath()
    {
        string ffprobe = FfmpegTools.Find("ffprobe");
        using var path = new EnvironmentVariableScope("PATH", _dir.Path);
        using var pinned = new EnvironmentVariableScope("TTT_FFPROBE", ffprobe);
        Assert.Equal(ffprobe, FfmpegTools.Find("ffprobe"));
    }

    [Fact]
    public void Mp4Writer_MissingFfmpegThrowsInstallHintAndLeavesNoFile()
    {
        using var missing = new EnvironmentVariableScope("TTT_FFMPEG", "/nonexistent/ffmpeg");
        string output = _dir.File("scene.mp4");
        var e = Assert.Throws<VideoEncodingException>(() => Mp4Writer.Start(output, new VideoSpec(64, 48, 16, 48)));
        Assert.Contains("ffmpeg not found at /nonexistent/ffmpeg (set by TTT_FFMPEG)", e.Message);
        Assert.Contains(FfmpegTools.InstallHint, e.Message);
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void Mp4Writer_RunsThePinnedFfmpeg()
    {
        // FFMpegCore runs the ffmpeg in TTT_FFMPEG's folder, not one from PATH: with PATH empty it still encodes.
        string pinned = Directory.CreateDirectory(Path.Combine(_dir.Path, "pinned")).FullName;
        File.CreateSymbolicLink(Path.Combine(pinned, "ffmpeg"), FfmpegTools.Find("ffmpeg"));
        File.CreateSymbolicLink(Path.Combine(pinned, "ffprobe"), FfmpegTools.Find("ffprobe"));
        using var path = new EnvironmentVariableScope("PATH", _dir.Path);
        using var ffmpeg = new EnvironmentVariableScope("TTT_FFMPEG", Path.Combine(pinned, "ffmpeg"));
        using var ffprobe = new EnvironmentVariableScope("TTT_FFPROBE", Path.Combine(pinned, "ffprobe"));

        var spec = new VideoSpec(16, 16, 16, 3);
        string output = _dir.File("pinned.mp4");
        using (var writer = Mp4Writer.Start(output, spec))
        {
            for (int t = 0; t < spec.FrameCount; t++) writer.WriteFrame(TestFrames.Solid(16, 16, 10, 20, 30));
            writer.Complete();
        }
        Assert.Equal(3, FfprobeInfo.Read(output).Frames);
    }

    [Fact]
    public void Mp4Writer_PinnedFfmpegUnderAnotherNameIsRefusedClearly()
    {
        // FFMpegCore runs "<folder>/ffmpeg"; a pinned ffmpeg-5.1 would silently be swapped for another file.
        string renamed = Path.Combine(_dir.Path, "ffmpeg-5.1");
        File.CreateSymbolicLink(renamed, FfmpegTools.Find("ffmpeg"));
        using var pinned = new EnvironmentVariableScope("TTT_FFMPEG", renamed);
        string output = _dir.File("scene.mp4");
        var e = Assert.Throws<VideoEncodingException>(() => Mp4Writer.Start(output, new VideoSpec(64, 48, 16, 48)));
        Assert.Equal(
            $"ffmpeg was found at {renamed}, but FFMpegCore finds no file named ffmpeg in {_dir.Path} (it would run whatever ffmpeg is on PATH); " +
            "name the program ffmpeg in its own folder (set TTT_FFMPEG to such a file)", e.Message);
        Assert.Equal(["ffmpeg-5.1"], _dir.FileNames());
    }

    [Fact]
    public void FfprobeInfo_MissingFfprobeThrowsInstallHint()
    {
        using var missing = new EnvironmentVariableScope("TTT_FFPROBE", "/nonexistent/ffprobe");
        var e = Assert.Throws<VideoEncodingException>(() => FfprobeInfo.Read(_dir.File("any.mp4")));
        Assert.Contains(FfmpegTools.InstallHint, e.Message);
    }
}
