using System.Buffers;
using System.Collections.Concurrent;
using FFMpegCore;
using FFMpegCore.Enums;
using FFMpegCore.Exceptions;
using FFMpegCore.Pipes;
using TttCluster.Files;

namespace TttCluster.Video;

/// <summary>
/// Streams raw rgb24 frames into ffmpeg (run by FFMpegCore), which encodes them as H.264 (yuv420p, CRF 18, preset
/// medium) in an MP4 with the index at the front (faststart, so players and browsers can start before the whole file
/// arrives). ffmpeg writes a temporary file beside the output; <see cref="Complete"/> renames it to the output path
/// only once ffmpeg has exited cleanly with every frame. Any failure, cancellation, or a Dispose without Complete,
/// kills ffmpeg and deletes the temporary file: the output path either holds a whole video or is left as it was.
/// <code>
/// using var writer = Mp4Writer.Start("story.mp4", new VideoSpec(720, 480, 16, 48), ct);
/// foreach (byte[] frame in frames) writer.WriteFrame(frame);
/// writer.Complete();
/// </code>
/// Not thread-safe: write frames and complete from one thread at a time.
/// </summary>
public sealed class Mp4Writer : IDisposable
{
    private readonly Encoder _encoder;
    private readonly PartialFile _file;
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _killOnCancel;
    /// <summary>Ends a WriteFrame waiting for room in the queue: on cancellation, or when ffmpeg's run ended.</summary>
    private readonly CancellationTokenSource _stopWaiting;
    private Mp4WriterState _state = Mp4WriterState.Streaming;

    /// <summary>The video being written: its size, rate and frame count.</summary>
    public VideoSpec Spec { get; }

    /// <summary>The full path the finished video will have.</summary>
    public string OutputPath { get; }

    /// <summary>Frames handed to ffmpeg so far.</summary>
    public int FramesWritten { get; private set; }

    private Mp4Writer(VideoSpec spec, PartialFile file, Encoder encoder, CancellationToken cancellationToken)
    {
        Spec = spec;
        OutputPath = file.TargetPath;
        _file = file;
        _encoder = encoder;
        _cancellationToken = cancellationToken;
        _stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, encoder.Ended);
        // Killing ffmpeg at once, even while no WriteFrame or Complete is running (the caller may be busy decoding).
        _killOnCancel = cancellationToken.Register(encoder.Kill);
    }

    /// <summary>
    /// Starts encoding to a temporary file beside <paramref name="outputPath"/>. Throws
    /// <see cref="VideoEncodingException"/> when ffmpeg cannot be found. ffmpeg itself starts with the first frame
    /// (FFMpegCore reads the frame size from it), so a failure to start or to create the output (say, a missing
    /// directory) surfaces from a later <see cref="WriteFrame"/> or <see cref="Complete"/>, with ffmpeg's stderr.
    /// </summary>
    public static Mp4Writer Start(string outputPath, VideoSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();

        FFOptions options = FfmpegTools.OptionsFor("ffmpeg");
        Encoder? encoder = null;
        // The encoder starts under the registry's lock, so a process told to quit at once either stops it and deletes
        // its temporary file, or quits before it ever starts.
        var file = PartialFiles.Process.Reserve(outputPath, temporaryPath =>
        {
            encoder = new Encoder(spec, temporaryPath, options);
            // Quitting at once: ffmpeg must be gone before its file is deleted, or it could write it again.
            return encoder.StopForQuit;
        });
        return new Mp4Writer(spec, file, encoder!, cancellationToken);
    }

    /// <summary>
    /// Sends one frame: Width · Height · 3 bytes, rows top to bottom, pixels left to right, R G B per pixel (what
    /// <see cref="Frames.ToRgb24(ReadOnlySpan{float}, int, int)"/> produces). The frame is copied, so the caller may
    /// reuse its buffer at once. Blocks while ffmpeg catches up (a few frames are queued, no more).
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
        if (_encoder.Ended.IsCancellationRequested) throw EndedEarly();

        if (!_encoder.TryQueue(rgb24, _stopWaiting.Token))
        {
            // Cancelled (the registration killed ffmpeg), or ffmpeg's run ended before it took this frame.
            AbortIfCancelled();
            throw EndedEarly();
        }
        FramesWritten++;
    }

    /// <summary>
    /// Ends ffmpeg's input, waits for it to finish encoding, checks that it succeeded with every frame, and moves
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

        _encoder.EndOfFrames();
        _encoder.WaitForExit();   // no timeout: a long video takes a while to finish; cancellation kills ffmpeg
        AbortIfCancelled();
        ThrowIfFailed("ffmpeg");
        if (_encoder.FramesSent != Spec.FrameCount)
            throw Fail($"ffmpeg exited cleanly but took {_encoder.FramesSent} of {Spec.FrameCount} frames", "", innerException: null);
        if (!File.Exists(_file.TemporaryPath) || new FileInfo(_file.TemporaryPath).Length == 0)
            throw Fail("ffmpeg exited cleanly but wrote no file", "", innerException: null);

        try
        {
            _file.Commit();
        }
        catch (ProcessQuittingException)
        {
            Abort();
            throw;
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
        // The registration first: its Dispose waits for a running kill callback, which must still find the encoder.
        _killOnCancel.Dispose();
        _stopWaiting.Dispose();
        _encoder.Dispose();
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

    /// <summary>ffmpeg's run ended while frames were still due: the reason, or a plain statement when it exited 0.</summary>
    private Exception EndedEarly()
    {
        _encoder.WaitForExit();
        string when = $"ffmpeg stopped taking frames after {FramesWritten} of {Spec.FrameCount}";
        ThrowIfFailed(when);
        return Fail($"{when} and exited cleanly", "", innerException: null);
    }

    /// <summary>
    /// After ffmpeg's run ended: throws what ended it, unless ffmpeg exited with code 0. <paramref name="when"/> starts
    /// the message (FFMpegCore's FFMpegProcessException carries the exit code and the stderr lines).
    /// </summary>
    private void ThrowIfFailed(string when)
    {
        Exception? failure = _encoder.Failure;
        if (failure is null) return;
        if (_encoder.StoppedForQuit)
        {
            Abort();
            throw new ProcessQuittingException($"{OutputPath}: not written, the process is quitting");
        }
        if (failure is FFMpegProcessException process)
            throw Fail($"{when}: ffmpeg failed with exit code {process.Result.ExitCode}", StandardErrorTail.Of(process.Result.StandardError), process);
        throw Fail($"{when}: {failure.Message}", "", failure);
    }

    /// <summary>Aborts, then builds the exception naming the output, the problem and ffmpeg's stderr tail.</summary>
    private VideoEncodingException Fail(string problem, string standardErrorTail, Exception? innerException)
    {
        Abort();
        return new VideoEncodingException($"{OutputPath}: {problem}; nothing was saved", standardErrorTail, innerException);
    }

    /// <summary>Kills ffmpeg if it still runs, waits for it to be gone, and deletes the temporary file.</summary>
    private void Abort()
    {
        _state = Mp4WriterState.Aborted;
        _encoder.Stop();
        _file.Discard();
    }

    /// <summary>
    /// One ffmpeg run through FFMpegCore: frames go from <see cref="TryQueue"/> through a small bounded queue to the
    /// frame enumeration FFMpegCore pulls from (on a pool thread: it reads through a synchronous IEnumerator, so a
    /// blocking queue is what it needs) and writes into ffmpeg's input pipe. On Linux that pipe is a Unix socket,
    /// which ffmpeg before 8.0 takes for seekable; the rawvideo demuxer never seeks, so no frame is lost (the tests
    /// decode the output back, and compare it with ffmpeg fed on stdin).
    /// </summary>
    private sealed class Encoder : IDisposable
    {
        /// <summary>How long to wait for ffmpeg to be gone after a kill, before giving up on it.</summary>
        private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(10);

        /// <summary>Frames waiting for ffmpeg; with one being written and one being copied in, memory stays at a few frames.</summary>
        private const int QueueBound = 2;

        private readonly VideoSpec _spec;
        private readonly BlockingCollection<QueuedFrame> _queue = new(QueueBound);
        /// <summary>Kills ffmpeg (FFMpegCore, no grace period) and ends the frame enumeration FFMpegCore waits in.</summary>
        private readonly CancellationTokenSource _kill = new();
        private readonly CancellationTokenSource _ended = new();
        private readonly Task<FFMpegResult> _run;
        /// <summary>Signals <see cref="Ended"/>; once it has run, nothing touches this encoder's resources any more.</summary>
        private readonly Task _signalEnded;
        private int _framesSent;

        public Encoder(VideoSpec spec, string temporaryPath, FFOptions options)
        {
            _spec = spec;
            var frames = new RawVideoPipeSource(Frames()) { FrameRate = spec.FramesPerSecond };
            FFMpegArgumentProcessor processor = FFMpegArguments
                .FromPipeInput(frames)
                .OutputToFile(temporaryPath, overwrite: true, output => output
                    .WithVideoCodec(VideoCodec.LibX264)
                    .WithSpeedPreset(EncoderPreset.Medium)
                    .WithConstantRateFactor(18)
                    .WithPixelFormat("yuv420p")
                    .WithFastStart()
                    // The temporary name does not end in .mp4, so name the container instead of letting ffmpeg guess it.
                    .ForceFormat(ContainerFormats.Mp4))
                // Errors only: what ends up in an exception message, with no banner or progress lines around it.
                .WithLogLevel(FFMpegLogLevel.Error)
                // TimeSpan.Zero kills; the default would ask ffmpeg to finish the file, which we delete anyway.
                .CancellableThrough(_kill.Token, TimeSpan.Zero);
            // On a pool thread: FFMpegCore builds the command line from the first frame, which has not been written yet.
            _run = Task.Run(() => processor.ProcessAsynchronously(throwOnError: true, options));
            _signalEnded = _run.ContinueWith(_ => _ended.Cancel(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        /// <summary>Cancelled once ffmpeg's run has ended, however it ended.</summary>
        public CancellationToken Ended => _ended.Token;

        /// <summary>Frames FFMpegCore wrote into ffmpeg's input.</summary>
        public int FramesSent => Volatile.Read(ref _framesSent);

        /// <summary>Set when the process quit at once and its registry stopped this run.</summary>
        public bool StoppedForQuit { get; private set; }

        /// <summary>Once the run has ended: null when ffmpeg exited with code 0, else what FFMpegCore threw.</summary>
        public Exception? Failure => _run.Exception?.GetBaseException()
            ?? (_run.IsCanceled ? new OperationCanceledException("ffmpeg was killed") : null);

        /// <summary>Copies the frame into the queue; false when <paramref name="stopWaiting"/> fired first.</summary>
        public bool TryQueue(ReadOnlySpan<byte> rgb24, CancellationToken stopWaiting)
        {
            var frame = new QueuedFrame(this, rgb24);
            try
            {
                _queue.Add(frame, stopWaiting);
                return true;
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                // InvalidOperationException: the queue was closed by a Stop racing this write.
                frame.Release();
                return false;
            }
        }

        /// <summary>No more frames: FFMpegCore's enumeration ends, it closes ffmpeg's input, and ffmpeg finishes the file.</summary>
        public void EndOfFrames() => _queue.CompleteAdding();

        /// <summary>Waits for the run to end, however it ends (its outcome is in <see cref="Failure"/>).</summary>
        public void WaitForExit() => ((IAsyncResult)_signalEnded).AsyncWaitHandle.WaitOne();

        public void Kill()
        {
            try
            {
                _kill.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already stopped and disposed; nothing runs.
            }
        }

        /// <summary>Kills ffmpeg and waits for the run to end, so ffmpeg can no longer touch its file.</summary>
        public void Stop()
        {
            Kill();
            ((IAsyncResult)_signalEnded).AsyncWaitHandle.WaitOne(ExitGrace);
        }

        /// <summary>The registry's stop, for a process quitting at once.</summary>
        public void StopForQuit()
        {
            StoppedForQuit = true;
            Stop();
        }

        private IEnumerable<IVideoFrame> Frames()
        {
            foreach (QueuedFrame frame in _queue.GetConsumingEnumerable(_kill.Token))
                yield return frame;
        }

        public void Dispose()
        {
            // A run that outlived its grace period may still touch these; leave them to the garbage collector then.
            if (!_signalEnded.IsCompleted) return;
            _kill.Dispose();
            _ended.Dispose();
            _queue.Dispose();
        }

        /// <summary>One frame, copied into a pooled buffer that goes back to the pool once it is written to ffmpeg.</summary>
        private sealed class QueuedFrame : IVideoFrame
        {
            private readonly Encoder _encoder;
            private readonly int _length;
            private byte[]? _buffer;

            public QueuedFrame(Encoder encoder, ReadOnlySpan<byte> rgb24)
            {
                _encoder = encoder;
                _length = rgb24.Length;
                _buffer = ArrayPool<byte>.Shared.Rent(rgb24.Length);
                rgb24.CopyTo(_buffer);
            }

            public int Width => _encoder._spec.Width;
            public int Height => _encoder._spec.Height;
            public string PixelFormat => "rgb24";

            public void Serialize(Stream pipe)
            {
                pipe.Write(Take(), 0, _length);
                Sent();
            }

            public async Task SerializeAsync(Stream pipe, CancellationToken token)
            {
                await pipe.WriteAsync(Take().AsMemory(0, _length), token).ConfigureAwait(false);
                Sent();
            }

            /// <summary>Gives the buffer back to the pool; the frame is written once, or dropped.</summary>
            public void Release()
            {
                byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
                if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            }

            private byte[] Take() => _buffer ?? throw new InvalidOperationException("a queued frame is written to ffmpeg once");

            private void Sent()
            {
                Interlocked.Increment(ref _encoder._framesSent);
                Release();
            }
        }
    }
}
