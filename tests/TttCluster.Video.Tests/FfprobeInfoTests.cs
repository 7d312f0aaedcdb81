using System.Diagnostics;

namespace TttCluster.Video.Tests;

/// <summary>
/// FfprobeInfo through FFMpegCore's FFProbe: what it reads from a real video, and errors that name the file, what
/// was expected and what was found for everything that is not one.
/// </summary>
public sealed class FfprobeInfoTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Read_CountsTheFramesOfTheVideoStream()
    {
        // Two streams, audio first: the counts are the video's, not the audio's or the container's.
        string path = _dir.File("av.mp4");
        RunFfmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-f", "lavfi", "-i", "testsrc=size=32x24:rate=10:duration=2",
            "-map", "0:a", "-map", "1:v", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", path);

        var info = FfprobeInfo.Read(path);
        Assert.Equal(("h264", 32, 24, "yuv420p", 20, 10.0), (info.Codec, info.Width, info.Height, info.PixelFormat, info.Frames, info.FrameRate));
        Assert.InRange(info.DurationSeconds, 1.9, 2.2);
    }

    [Fact]
    public void Read_MissingFileNamesIt()
    {
        string path = _dir.File("none.mp4");
        var e = Assert.Throws<VideoEncodingException>(() => FfprobeInfo.Read(path));
        Assert.Equal($"{path}: expected a video file to probe, found no file there", e.Message);
    }

    [Fact]
    public void Read_NotAVideoCarriesFfprobesError()
    {
        string path = _dir.File("notes.mp4");
        File.WriteAllText(path, "not a video at all");
        var e = Assert.Throws<VideoEncodingException>(() => FfprobeInfo.Read(path));
        Assert.StartsWith($"{path}: ffprobe failed with exit code 1", e.Message);
        Assert.Contains("Invalid data found when processing input", e.StandardErrorTail);
        Assert.Contains(e.StandardErrorTail, e.Message);
    }

    [Fact]
    public void Read_AudioOnlySaysAVideoStreamWasExpected()
    {
        string path = _dir.File("tone.m4a");
        RunFfmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", path);
        var e = Assert.Throws<VideoEncodingException>(() => FfprobeInfo.Read(path));
        Assert.Equal($"{path}: expected a video stream, found none among its 1 stream(s)", e.Message);
    }

    private static void RunFfmpeg(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(FfmpegTools.Find("ffmpeg")) { UseShellExecute = false, RedirectStandardError = true };
        foreach (string argument in (string[])["-hide_banner", "-loglevel", "error", "-y", .. arguments])
            startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo)!;
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg {string.Join(' ', arguments)}: {stderr}");
    }
}
