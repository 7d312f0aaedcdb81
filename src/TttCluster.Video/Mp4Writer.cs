using System.ComponentModel;
using System.Diagnostics;
using TttCluster.Files;

namespace TttCluster.Video;

/// <summary>
/// Streams raw rgb24 frames into ffmpeg, which encodes them as H.264 (yuv420p, CRF 18) in an MP4 with the index at
/// the front (+faststart, so players and browsers can start before the whole file arrives). ffmpeg writes a
/// temporary file beside the output; <see cref="Complete"/> renames it to the output path only once ffmpeg has
/// exited cleanly with every frame. Any failure, cancellation, or a Dispose without Complete, kills ffmpeg and
/// deletes the temporary file: the output path either holds a whole video or is left as it was.
/// <code>
/// using var writer = Mp4Writer.Start("story.mp4", new VideoSpec(720, 480, 16, 48), ct);
/// foreach (byte[] frame in frames) writer.WriteFrame(frame);
/// writer.Complete();
/// </code>
/// Not thread-safe: write frames and complete from one thread at a time.
/// </summary>
public sealed class Mp4Writer : IDisposable
{
    /// <summary>How long to wait for ffmpeg to exit after it stopped reading or was killed, before giving up on it.</summary>
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(10);

    private readonly Process _ffmpeg;
    private readonly Stream _stdin;
    private readonly StandardErrorTail _stderr;
    private readonly PartialFile _file;
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _killOnCancel;
    private Mp4WriterState _state = Mp4WriterState.Streaming;

    /// <summary>The video being written: its size, rate and frame count.</summary>
    public VideoSpec Spec { get; }

    /// <summary>The full path the finished video will have.</summary>
    public string OutputPath { get; }

    /// <summary>Frames handed to ffmpeg so far.</summary>
    public int FramesWritten { get; private set; }

    private Mp4Writer(VideoSpec spec, PartialFile file, Process ffmpeg, CancellationToken cancellationToken)
    {
        Spec = spec;
        OutputPath = file.TargetPath;
        _file = file;
        _ffmpeg = ffmpeg;
        _stdin = ffmpeg.StandardInput.BaseStream;
        _stderr = StandardErrorTail.Attach(ffmpeg);
        // ffmpeg prints nothing on stdout for a file output; drain it anyway so nothing can ever block on it.
        ffmpeg.BeginOutputReadLine();
        _cancellationToken = cancellationToken;
        // Killing ffmpeg also unblocks a WriteFrame stuck on a full pipe or a Complete waiting for the encoder.
        _killOnCancel = cancellationToken.Register(() => KillQuietly(_ffmpeg));
    }

    /// <summary>
    /// Starts ffmpeg encoding to a temporary file beside <paramref name="outputPath"/>. Throws
    /// <see cref="VideoEncodingException"/> when ffmpeg cannot be found or started. The output directory must exist;
    /// if it does not, ffmpeg's error surfaces from the next <see cref="WriteFrame"/> or <see cref="Complete"/>.
    /// </summary>
    public static Mp4Writer Start(string outputPath, VideoSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();

        string ffmpegPath = FfmpegTools.Find("ffmpeg");
        Process? process = null;
        // ffmpeg starts under the registry's lock, so a process told to quit at once either stops it and deletes its
        // temporary file, or quits before it ever starts.
        var file = PartialFiles.Process.Reserve(outputPath, temporaryPath =>
        {
            process = StartFfmpeg(ffmpegPath, EncoderArguments(spec, temporaryPath));
            var started = process;
            // Quitting at once: ffmpeg must be gone before its file is deleted, or it could write it again.
            return () =>
            {
                KillQuietly(started);
                started.WaitForExit(ExitGrace);
            };
        });
        return new Mp4Writer(spec, file, process!, cancellationToken);
    }

    private static Process StartFfmpeg(string ffmpegPath, IReadOnlyList<string> arguments)
    {
        var startInfo = new ProcessStartInfo(ffmpegPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
            startInfo.ArgumentList.Add(argument);
        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
            return process;
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new VideoEncodingException($"could not start {ffmpegPath}: {e.Message}; {FfmpegTools.InstallHint}", "", e);
        }
    }

    /// <summary>The ffmpeg command line after the program name: raw rgb24 on stdin, H.264 MP4 to <paramref name="temporaryPath"/>.</summary>
    internal static IReadOnlyList<string> EncoderArguments(VideoSpec spec, string temporaryPath) =>
    [
        "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{spec.Width}x{spec.Height}", "-r", $"{spec.FramesPerSecond}", "-i", "-",
        "-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
        // The temporary name does not end in .mp4, so name the container instead of letting ffmpeg guess it.
        "-f", "mp4", temporaryPath,
    ];

    /// <summary>
    /// Sends one frame: Width · Height · 3 bytes, rows top to bottom, pixels left to right, R G B per pixel (what
    /// <see cref="Frames.ToRgb24(ReadOnlySpan{float}, int, int)"/> produces). Blocks while ffmpeg catches up.
    /// </summary>
    public void WriteFrame(ReadOnlySpan<byte> rgb24)
    {
        if (rgb24.Length != Spec.FrameBytes)
            throw new ArgumentException(
                $"a {Spec.Width}x{Spec.Height} rgb24 frame must be {Spec.FrameBytes} bytes (width·height·3), found {rgb24.Length}", nameof(rgb24));
        RequireStreaming();
        if (FramesWritten == Spec.FrameCount)
            throw new InvalidOperationException($"all {Spec.FrameCount} frames of {OutputPath} are written; call Complete");
        AbortIfCancelled();

        try
        {
            _stdin.Write(rgb24);
        }
        catch (IOException e)
        {
            // A broken pipe: ffmpeg exited (an error, or our kill on cancellation) before reading this frame.
            AbortIfCancelled();
            string exit = _ffmpeg.WaitForExit(ExitGrace) ? $"exit code {_ffmpeg.ExitCode}" : "still running";
            throw Fail($"ffmpeg stopped reading frames after {FramesWritten} of {Spec.FrameCount} ({exit})", e);
        }
        FramesWritten++;
    }

    /// <summary>
    /// Closes ffmpeg's input, waits for it to finish encoding, checks that it succeeded with every frame, and moves
    /// the finished file to <see cref="OutputPath"/> (replacing any file there). Throws
    /// <see cref="VideoEncodingException"/> (with ffmpeg's stderr tail) or <see cref="OperationCanceledException"/>,
    /// leaving no file behind, when anything went wrong.
    /// </summary>
    public void Complete()
    {
        RequireStreaming();
        AbortIfCancelled();
        if (FramesWritten < Spec.FrameCount)
        {
            Abort();
            throw new VideoEncodingException($"{OutputPath}: expected {Spec.FrameCount} frames, {FramesWritten} were written; nothing was saved");
        }

        try
        {
            _ffmpeg.StandardInput.Close();
        }
        catch (IOException)
        {
            // ffmpeg already gone; its exit code below says why.
        }
        _ffmpeg.WaitForExit();   // no timeout: a long video takes a while to finish; cancellation kills ffmpeg
        AbortIfCancelled();
        if (_ffmpeg.ExitCode != 0)
            throw Fail($"ffmpeg failed with exit code {_ffmpeg.ExitCode}", innerException: null);
        if (!File.Exists(_file.TemporaryPath) || new FileInfo(_file.TemporaryPath).Length == 0)
            throw Fail("ffmpeg exited cleanly but wrote no file", innerException: null);

        try
        {
            _file.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Abort();
            throw new VideoEncodingException($"{OutputPath}: the video was encoded but could not be moved into place: {FileChecks.Reason(e)}; nothing was saved", "", e);
        }
        _state = Mp4WriterState.Completed;
    }

    /// <summary>Without a successful <see cref="Complete"/> this aborts: ffmpeg is killed and the temporary file deleted.</summary>
    public void Dispose()
    {
        if (_state == Mp4WriterState.Streaming) Abort();
        // The registration first: its Dispose waits for a running kill callback, which must still find the process.
        _killOnCancel.Dispose();
        _ffmpeg.Dispose();
    }

    private void RequireStreaming()
    {
        if (_state != Mp4WriterState.Streaming)
            throw new InvalidOperationException($"the writer for {OutputPath} has {(_state == Mp4WriterState.Completed ? "completed" : "failed or been aborted")}; start a new one");
    }

    private void AbortIfCancelled()
    {
        if (!_cancellationToken.IsCancellationRequested) return;
        Abort();
        _cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Aborts, then builds the exception naming the output, the problem and ffmpeg's stderr tail.</summary>
    private VideoEncodingException Fail(string problem, Exception? innerException)
    {
        Abort();
        return new VideoEncodingException($"{OutputPath}: {problem}; nothing was saved", _stderr.ToString(), innerException);
    }

    /// <summary>Kills ffmpeg if it still runs, waits for it so its stderr is complete, and deletes the temporary file.</summary>
    private void Abort()
    {
        _state = Mp4WriterState.Aborted;
        KillQuietly(_ffmpeg);
        if (_ffmpeg.WaitForExit(ExitGrace))
            _ffmpeg.WaitForExit();   // the timeout overload does not wait for the stderr reader to finish; this does
        _file.Discard();
    }

    private static void KillQuietly(Process ffmpeg)
    {
        try
        {
            if (!ffmpeg.HasExited) ffmpeg.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Exited between the check and the kill, or already released; either way it is no longer running.
        }
    }
}
