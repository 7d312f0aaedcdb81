namespace TttCluster.Video.Tests;

/// <summary>
/// Encoding through the real ffmpeg: the file is what was asked for, decodes back to what was written, streams
/// from the front, and no failure leaves a file that looks like a finished video.
/// </summary>
public sealed class Mp4WriterTests : IDisposable
{
    private static readonly VideoSpec Scene = new(width: 64, height: 48, framesPerSecond: 16, frameCount: 48);

    private readonly TempDirectory _dir = new();
    private readonly ITestOutputHelper _output;

    public Mp4WriterTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    private static void WriteScene(string path, VideoSpec spec, CancellationToken cancellationToken = default)
    {
        using var writer = Mp4Writer.Start(path, spec, cancellationToken);
        for (int t = 0; t < spec.FrameCount; t++)
            writer.WriteFrame(TestFrames.MovingGradient(spec.Width, spec.Height, t));
        writer.Complete();
    }

    [Fact]
    public void Mp4Writer_WritesH264Yuv420pWithEveryFrameAndIndexFirst()
    {
        string path = _dir.File("scene.mp4");
        WriteScene(path, Scene);

        var info = FfprobeInfo.Read(path);
        _output.WriteLine(info.ToString());
        Assert.Equal("h264", info.Codec);
        Assert.Equal((64, 48), (info.Width, info.Height));
        Assert.Equal("yuv420p", info.PixelFormat);
        Assert.Equal(48, info.Frames);
        Assert.Equal(16.0, info.FrameRate);
        Assert.InRange(info.DurationSeconds, 3.0 - 1.0 / 16, 3.0 + 1.0 / 16);

        // +faststart: the index (moov) precedes the media data, so playback can start while the file downloads.
        List<string> boxes = Mp4Boxes.TopLevelTypes(path);
        _output.WriteLine(string.Join(" ", boxes));
        Assert.Equal("ftyp", boxes[0]);
        Assert.True(boxes.IndexOf("moov") is >= 0 and var moov && moov < boxes.IndexOf("mdat"), $"moov must come before mdat: {string.Join(" ", boxes)}");
        Assert.Equal(["scene.mp4"], _dir.FileNames());
    }

    [Fact]
    public void Mp4Writer_EncodesWithTheSettingsOfTheFormerCommandLine()
    {
        // Moving to FFMpegCore must not change the video: same encoder settings (CRF 18, preset medium, yuv420p),
        // same boxes, same frames as ffmpeg run by hand with the command line the writer used to build itself.
        string written = _dir.File("scene.mp4"), byHand = _dir.File("by-hand.mp4");
        WriteScene(written, Scene);
        X264Settings.EncodeByHand(byHand, Scene, Enumerable.Range(0, Scene.FrameCount).Select(t => TestFrames.MovingGradient(Scene.Width, Scene.Height, t)));

        string settings = X264Settings.Read(written);
        _output.WriteLine(settings);
        Assert.Contains("crf=18.0", settings);
        Assert.Equal(X264Settings.Read(byHand), settings);
        Assert.Equal(FfprobeInfo.Read(byHand), FfprobeInfo.Read(written));
        Assert.Equal(Mp4Boxes.TopLevelTypes(byHand), Mp4Boxes.TopLevelTypes(written));
        // The pictures are the same bits: only the muxer's metadata may differ.
        Assert.Equal(FfmpegDecoder.DecodeRgb24(byHand, Scene.Width, Scene.Height), FfmpegDecoder.DecodeRgb24(written, Scene.Width, Scene.Height));
    }

    [Fact]
    public void Mp4Writer_DecodesBackToTheFramesWritten()
    {
        string path = _dir.File("scene.mp4");
        WriteScene(path, Scene);

        List<byte[]> decoded = FfmpegDecoder.DecodeRgb24(path, Scene.Width, Scene.Height);
        Assert.Equal(Scene.FrameCount, decoded.Count);
        double worst = 0;
        for (int t = 0; t < Scene.FrameCount; t++)
        {
            byte[] written = TestFrames.MovingGradient(Scene.Width, Scene.Height, t);
            double error = TestFrames.MeanAbsoluteError(written, decoded[t]);
            worst = Math.Max(worst, error);
            Assert.True(error < 8, $"frame {t}: mean abs error {error:F2} levels (limit 8)");
        }
        _output.WriteLine($"worst mean abs error: {worst:F2} levels");

        // The check has teeth: the same frame upside down, or with red and blue swapped, is far off.
        byte[] first = TestFrames.MovingGradient(Scene.Width, Scene.Height, 0);
        Assert.True(TestFrames.MeanAbsoluteError(TestFrames.FlipRows(first, Scene.Width, Scene.Height), decoded[0]) > 20);
        byte[] swapped = (byte[])first.Clone();
        for (int i = 0; i < swapped.Length; i += 3) (swapped[i], swapped[i + 2]) = (swapped[i + 2], swapped[i]);
        Assert.True(TestFrames.MeanAbsoluteError(swapped, decoded[0]) > 20);
    }

    [Fact]
    public void WriteFrame_WrongSizeNamesExpectedAndFoundBytes()
    {
        using var writer = Mp4Writer.Start(_dir.File("scene.mp4"), Scene);
        var e = Assert.Throws<ArgumentException>(() => writer.WriteFrame(new byte[64 * 48 * 4]));
        Assert.Equal("rgb24", e.ParamName);
        Assert.Contains("9216 bytes", e.Message);
        Assert.Contains("found 12288", e.Message);
    }

    [Fact]
    public void Mp4Writer_FfmpegErrorCarriesStderrAndLeavesNoFile()
    {
        // ffmpeg cannot create its output in a directory that does not exist; the error comes from ffmpeg itself.
        string path = Path.Combine(_dir.Path, "missing", "scene.mp4");
        var e = Assert.Throws<VideoEncodingException>(() => WriteScene(path, Scene));
        _output.WriteLine(e.Message);
        Assert.Contains("No such file or directory", e.StandardErrorTail);
        Assert.Contains(e.StandardErrorTail, e.Message);
        Assert.Contains("nothing was saved", e.Message);
        Assert.Empty(_dir.FileNames());
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "missing")));
    }

    [Fact]
    public void Mp4Writer_CancellationMidStreamLeavesNoFile()
    {
        string path = _dir.File("scene.mp4");
        using var cancellation = new CancellationTokenSource();
        using var writer = Mp4Writer.Start(path, Scene, cancellation.Token);
        for (int t = 0; t < 10; t++) writer.WriteFrame(TestFrames.MovingGradient(Scene.Width, Scene.Height, t));

        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => writer.WriteFrame(TestFrames.MovingGradient(Scene.Width, Scene.Height, 10)));
        Assert.Empty(_dir.FileNames());
        Assert.Throws<InvalidOperationException>(() => writer.Complete());
    }

    [Fact]
    public void Mp4Writer_CancellationUnblocksAWriteWaitingOnFfmpeg()
    {
        // Frames far bigger than the pipe buffer, more than ffmpeg can encode before the timer fires: the cancel
        // lands while WriteFrame is blocked on ffmpeg, and must end the write instead of hanging it.
        var spec = new VideoSpec(640, 480, 16, 2000);
        byte[] frame = TestFrames.MovingGradient(spec.Width, spec.Height, 0);
        using var cancellation = new CancellationTokenSource();
        using var writer = Mp4Writer.Start(_dir.File("long.mp4"), spec, cancellation.Token);
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(300));

        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            for (int t = 0; t < spec.FrameCount; t++) writer.WriteFrame(frame);
            writer.Complete();
        });
        _output.WriteLine($"cancelled after {writer.FramesWritten} frames");
        Assert.InRange(writer.FramesWritten, 0, spec.FrameCount - 1);
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void Complete_TooFewFramesThrowsAndLeavesNoFile()
    {
        string path = _dir.File("scene.mp4");
        using var writer = Mp4Writer.Start(path, Scene);
        for (int t = 0; t < 47; t++) writer.WriteFrame(TestFrames.MovingGradient(Scene.Width, Scene.Height, t));

        var e = Assert.Throws<VideoEncodingException>(writer.Complete);
        Assert.Contains("expected 48 frames, 47 were written", e.Message);
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void Dispose_WithoutCompleteKeepsThePreviousVideo()
    {
        string path = _dir.File("scene.mp4");
        File.WriteAllText(path, "previous render");
        using (var writer = Mp4Writer.Start(path, Scene))
        {
            for (int t = 0; t < 48; t++) writer.WriteFrame(TestFrames.MovingGradient(Scene.Width, Scene.Height, t));
        }
        Assert.Equal("previous render", File.ReadAllText(path));
        Assert.Equal(["scene.mp4"], _dir.FileNames());

        // A completed write replaces it.
        WriteScene(path, Scene);
        Assert.Equal(48, FfprobeInfo.Read(path).Frames);
    }

    [Fact]
    public void Dispose_BeforeAnyFrameLeavesNothing()
    {
        // ffmpeg starts with the first frame; a writer given none must still clean up and not hang.
        string path = _dir.File("scene.mp4");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (Mp4Writer.Start(path, Scene))
        {
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Dispose took {clock.Elapsed}");
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void WriteFrame_ReusedBufferKeepsEachFrameAsWritten()
    {
        // Frames are queued for ffmpeg; the caller's buffer (StoryRenderer reuses its own) must be copied, not kept.
        string path = _dir.File("scene.mp4");
        var buffer = new byte[Scene.FrameBytes];
        using (var writer = Mp4Writer.Start(path, Scene))
        {
            for (int t = 0; t < Scene.FrameCount; t++)
            {
                TestFrames.MovingGradient(Scene.Width, Scene.Height, t).CopyTo(buffer, 0);
                writer.WriteFrame(buffer);
                Array.Clear(buffer);
            }
            writer.Complete();
        }
        List<byte[]> decoded = FfmpegDecoder.DecodeRgb24(path, Scene.Width, Scene.Height);
        for (int t = 0; t < Scene.FrameCount; t++)
        {
            double error = TestFrames.MeanAbsoluteError(TestFrames.MovingGradient(Scene.Width, Scene.Height, t), decoded[t]);
            Assert.True(error < 8, $"frame {t}: mean abs error {error:F2} levels (limit 8)");
        }
    }

    [Fact]
    public void Complete_OutputPathIsADirectoryThrowsAndLeavesNoTemporaryFile()
    {
        string path = _dir.File("scene.mp4");
        Directory.CreateDirectory(path);
        var e = Assert.Throws<VideoEncodingException>(() => WriteScene(path, Scene));
        Assert.Contains("could not be moved into place", e.Message);
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void WriteFrame_MoreFramesThanSpecIsRefused()
    {
        var spec = new VideoSpec(16, 16, 16, 2);
        using var writer = Mp4Writer.Start(_dir.File("short.mp4"), spec);
        writer.WriteFrame(TestFrames.Solid(16, 16, 1, 2, 3));
        writer.WriteFrame(TestFrames.Solid(16, 16, 1, 2, 3));
        var e = Assert.Throws<InvalidOperationException>(() => writer.WriteFrame(TestFrames.Solid(16, 16, 1, 2, 3)));
        Assert.Contains("all 2 frames", e.Message);
        writer.Complete();
        Assert.Equal(2, FfprobeInfo.Read(_dir.File("short.mp4")).Frames);
    }
}
