using System.Globalization;
using System.Text.Json;
using FFMpegCore;
using FFMpegCore.Exceptions;

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
    /// <summary>
    /// ffprobe's options beyond the streams and format FFMpegCore always asks for: decode the first video stream to
    /// count its frames (nb_read_frames), and list only that stream.
    /// </summary>
    private const string CountFirstVideoStream = "-count_frames -select_streams v:0";

    /// <summary>
    /// Probes <paramref name="path"/> with ffprobe (through FFMpegCore). Throws <see cref="VideoEncodingException"/>
    /// naming the file when ffprobe is missing, there is no such file, ffprobe fails (with its stderr tail), or the
    /// file has no video stream whose frames ffprobe could count.
    /// </summary>
    public static FfprobeInfo Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FFOptions options = FfmpegTools.OptionsFor("ffprobe");
        IMediaAnalysis analysis;
        try
        {
            analysis = FFProbe.Analyse(path, options, CountFirstVideoStream);
        }
        catch (FileNotFoundException e)
        {
            // FFMpegCore checks before starting ffprobe; our message names the file in the same form as every other.
            throw new VideoEncodingException($"{path}: expected a video file to probe, found no file there", "", e);
        }
        catch (FFProbeProcessException e)
        {
            throw new VideoEncodingException($"{path}: ffprobe failed with exit code {e.ExitCode}", StandardErrorTail.Of(e.StandardError), e);
        }
        catch (FFMpegException e)
        {
            // Anything else FFMpegCore reports about the run (ffprobe would not start, its output was not JSON).
            throw new VideoEncodingException($"{path}: ffprobe could not be run or read: {e.Message}", "", e);
        }
        return FromAnalysis(path, analysis);
    }

    /// <summary>Takes the fields from FFMpegCore's analysis, refusing a file without a countable video stream.</summary>
    private static FfprobeInfo FromAnalysis(string path, IMediaAnalysis analysis)
    {
        VideoStream video = analysis.PrimaryVideoStream
            ?? throw new VideoEncodingException($"{path}: expected a video stream, found none among its {analysis.Format.StreamCount} stream(s)");
        // FFMpegCore has no property for the decoded frame count; it keeps the fields it does not model, as ffprobe wrote them.
        FFProbeStream raw = analysis.Raw.Streams.First(stream => stream.Index == video.Index);
        string counted = raw.ExtensionData.TryGetValue("nb_read_frames", out JsonElement value) ? value.ToString() : "";
        if (!int.TryParse(counted, NumberStyles.None, CultureInfo.InvariantCulture, out int frames))
            throw new VideoEncodingException(
                $"{path}: expected ffprobe to count the frames of video stream {video.Index} (nb_read_frames), found {(counted.Length == 0 ? "no count" : $"'{counted}'")}");
        if (video.Width is not int width || video.Height is not int height)
            throw new VideoEncodingException($"{path}: expected a frame size for video stream {video.Index}, ffprobe reported none");
        return new FfprobeInfo(
            Codec: video.CodecName ?? "",
            Width: width,
            Height: height,
            PixelFormat: video.PixelFormat ?? "",
            Frames: frames,
            FrameRate: video.RealFrameRate,
            DurationSeconds: analysis.Format.Duration.TotalSeconds);
    }
}
