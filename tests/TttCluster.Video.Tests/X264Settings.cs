using System.Diagnostics;
using System.Text;

namespace TttCluster.Video.Tests;

/// <summary>
/// libx264 writes its whole configuration into the stream as text (an SEI message: "x264 - core N ... options:
/// cabac=1 ref=3 ... crf=18.0 ..."); comparing it is how a test sees the encoder settings without trusting a command line.
/// </summary>
internal static class X264Settings
{
    /// <summary>The options part of the x264 settings text in <paramref name="path"/>.</summary>
    public static string Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string text = Encoding.Latin1.GetString(bytes);
        int core = text.IndexOf("x264 - core", StringComparison.Ordinal);
        Assert.True(core >= 0, $"{path}: no x264 settings text found");
        int options = text.IndexOf("options: ", core, StringComparison.Ordinal);
        Assert.True(options >= 0, $"{path}: the x264 settings text has no options");
        int end = text.IndexOf('\0', options);
        return text[(options + "options: ".Length)..end];
    }

    /// <summary>
    /// Encodes <paramref name="frames"/> the way Mp4Writer did before FFMpegCore ran ffmpeg for it: this exact
    /// command line, raw rgb24 on stdin. The reference the writer's settings are held to.
    /// </summary>
    public static void EncodeByHand(string path, VideoSpec spec, IEnumerable<byte[]> frames)
    {
        var startInfo = new ProcessStartInfo(FfmpegTools.Find("ffmpeg"))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])[
                     "-hide_banner", "-loglevel", "error", "-y",
                     "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{spec.Width}x{spec.Height}", "-r", $"{spec.FramesPerSecond}", "-i", "-",
                     "-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                     "-f", "mp4", path])
            startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        foreach (byte[] frame in frames) process.StandardInput.BaseStream.Write(frame);
        process.StandardInput.Close();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg could not encode {path}: {stderr.Result}");
    }
}
