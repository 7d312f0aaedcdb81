namespace TttCluster.Video;

/// <summary>
/// The shape of one video: frame size, frame rate and how many frames the caller promises to write. Validated on
/// construction, so a writer never starts ffmpeg for a video it cannot finish.
/// </summary>
public sealed record VideoSpec
{
    /// <summary>Frame width in pixels, even and at least 2 (H.264 in yuv420p halves the chroma planes), e.g. 720.</summary>
    public int Width { get; }

    /// <summary>Frame height in pixels, even and at least 2, e.g. 480.</summary>
    public int Height { get; }

    /// <summary>Frames per second of the output, e.g. 16 (the model's native rate: 48 frames per 3-second scene).</summary>
    public int FramesPerSecond { get; }

    /// <summary>Frames the caller will write; completing with fewer is an error, e.g. 48 for one scene.</summary>
    public int FrameCount { get; }

    public VideoSpec(int width, int height, int framesPerSecond, int frameCount)
    {
        RequireEvenSize(width, nameof(width));
        RequireEvenSize(height, nameof(height));
        if (framesPerSecond < 1)
            throw new ArgumentOutOfRangeException(nameof(framesPerSecond), framesPerSecond, "frames per second must be at least 1");
        if (frameCount < 1)
            throw new ArgumentOutOfRangeException(nameof(frameCount), frameCount, "a video needs at least 1 frame");
        if ((long)width * height * 3 > Array.MaxLength)
            throw new ArgumentException($"a {width}x{height} rgb24 frame does not fit in one array", nameof(width));
        Width = width;
        Height = height;
        FramesPerSecond = framesPerSecond;
        FrameCount = frameCount;
    }

    /// <summary>Bytes in one interleaved rgb24 frame: Width · Height · 3.</summary>
    public int FrameBytes => Width * Height * 3;

    /// <summary>Length of the video in seconds: FrameCount / FramesPerSecond.</summary>
    public double DurationSeconds => (double)FrameCount / FramesPerSecond;

    public override string ToString() => $"{Width}x{Height} @ {FramesPerSecond} fps, {FrameCount} frames";

    private static void RequireEvenSize(int value, string name)
    {
        if (value < 2 || value % 2 != 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be even and at least 2 (H.264 yuv420p subsamples chroma by 2), found {value}");
    }
}
