using System.Diagnostics;

namespace TttCluster.Video.Tests;

/// <summary>Decodes an image or video back to raw rgb24 through the real ffmpeg, independently of the writers.</summary>
internal static class FfmpegDecoder
{
    /// <summary>Every frame of <paramref name="path"/> as W · H · 3 bytes of rgb24.</summary>
    public static List<byte[]> DecodeRgb24(string path, int width, int height)
    {
        var startInfo = new ProcessStartInfo(FfmpegTools.Find("ffmpeg"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["-hide_banner", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            startInfo.ArgumentList.Add(argument);

        using var process = Process.Start(startInfo)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var raw = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(raw);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg could not decode {path}: {stderr.Result}");

        int frameBytes = width * height * 3;
        byte[] all = raw.ToArray();
        Assert.True(all.Length % frameBytes == 0, $"decoded {all.Length} bytes, not a whole number of {width}x{height} frames");
        return Enumerable.Range(0, all.Length / frameBytes).Select(i => all.AsSpan(i * frameBytes, frameBytes).ToArray()).ToList();
    }
}
