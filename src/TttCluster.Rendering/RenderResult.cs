namespace TttCluster.Rendering;

/// <summary>Where the render put things and where its wall time went.</summary>
public sealed record RenderResult(string VideoPath, string ContactSheetPath, string? LatentsPath, int Frames, int Width, int Height,
    int FramesPerSecond, RenderTimings Timings)
{
    public double DurationSeconds => (double)Frames / FramesPerSecond;
}

/// <summary>Wall time of each stage; ffmpeg's share is the time the renderer waited on its pipe and its exit.</summary>
public sealed record RenderTimings(double ModelSeconds, double DecoderSeconds, double FfmpegSeconds, double TotalSeconds);

/// <summary>A render stopped by the user; <see cref="Exception.Message"/> says what was kept.</summary>
public sealed class RenderCancelledException(string message, Exception inner) : OperationCanceledException(message, inner);
