using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace TttCluster.Video;

/// <summary>
/// What ffprobe says about a video's first video stream, with frames counted by decoding (not read from the
/// header, which a broken file could get wrong).
/// </summary>
/// <param name="Codec">Codec name as ffprobe spells it, e.g. "h264".</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="PixelFormat">e.g. "yuv420p".</param>
/// <param name="Frames">Frames decoded from the stream (ffprobe's nb_read_frames).</param>
/// <param name="FrameRate">Frames per second (ffprobe's r_frame_rate, e.g. 16/1 = 16).</param>
/// <param name="DurationSeconds">The container's duration in seconds.</param>
public sealed record FfprobeInfo(string Codec, int Width, int Height, string PixelFormat, int Frames, double FrameRate, double DurationSeconds)
{
    /// <summary>Probes <paramref name="path"/> with ffprobe; throws <see cref="VideoEncodingException"/> when ffprobe fails or is missing.</summary>
    public static FfprobeInfo Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string ffprobePath = FfmpegTools.Find("ffprobe");
        var startInfo = new ProcessStartInfo(ffprobePath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["-v", "error", "-select_streams", "v:0", "-count_frames",
                     "-show_entries", "stream=codec_name,width,height,pix_fmt,nb_read_frames,r_frame_rate:format=duration",
                     "-of", "json", path])
            startInfo.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new VideoEncodingException($"could not start {ffprobePath}: {e.Message}; {FfmpegTools.InstallHint}", "", e);
        }
        // Both pipes read concurrently: reading one to the end while ffprobe blocks on the other would deadlock.
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        string json = stdout.GetAwaiter().GetResult();
        string errors = stderr.GetAwaiter().GetResult().Trim();
        if (process.ExitCode != 0)
            throw new VideoEncodingException($"{path}: ffprobe failed with exit code {process.ExitCode}", errors);
        return Parse(path, json);
    }

    /// <summary>Reads ffprobe's JSON (-of json with the entries <see cref="Read"/> asks for).</summary>
    internal static FfprobeInfo Parse(string path, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (!root.TryGetProperty("streams", out JsonElement streams) || streams.GetArrayLength() == 0)
                throw new VideoEncodingException($"{path}: ffprobe found no video stream");
            JsonElement stream = streams[0];
            return new FfprobeInfo(
                Codec: stream.GetProperty("codec_name").GetString() ?? "",
                Width: stream.GetProperty("width").GetInt32(),
                Height: stream.GetProperty("height").GetInt32(),
                PixelFormat: stream.GetProperty("pix_fmt").GetString() ?? "",
                // ffprobe writes counts and durations as JSON strings.
                Frames: int.Parse(stream.GetProperty("nb_read_frames").GetString() ?? "", CultureInfo.InvariantCulture),
                FrameRate: ParseRational(stream.GetProperty("r_frame_rate").GetString() ?? ""),
                DurationSeconds: double.Parse(root.GetProperty("format").GetProperty("duration").GetString() ?? "", CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new VideoEncodingException($"{path}: unexpected ffprobe output ({e.Message}): {json}", "", e);
        }
    }

    /// <summary>"16/1" as 16.0; ffprobe writes rates as exact fractions (NTSC's is 30000/1001).</summary>
    private static double ParseRational(string text)
    {
        int slash = text.IndexOf('/');
        if (slash < 0) return double.Parse(text, CultureInfo.InvariantCulture);
        double numerator = double.Parse(text.AsSpan(0, slash), CultureInfo.InvariantCulture);
        double denominator = double.Parse(text.AsSpan(slash + 1), CultureInfo.InvariantCulture);
        return denominator == 0 ? 0 : numerator / denominator;
    }
}
