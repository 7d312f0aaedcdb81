namespace TttCluster.Video;

/// <summary>
/// The last lines a tool wrote to stderr, bounded for an exception message. FFMpegCore hands back every line it
/// captured; ffmpeg's real error is in its last few, earlier ones are context.
/// </summary>
internal static class StandardErrorTail
{
    /// <summary>Lines kept.</summary>
    private const int MaxLines = 30;

    /// <summary>Characters kept per line, so one runaway line cannot flood an exception message.</summary>
    private const int MaxLineLength = 500;

    /// <summary>The last non-blank <paramref name="lines"/>, each cut to a readable length, joined with newlines.</summary>
    public static string Of(IEnumerable<string>? lines)
    {
        if (lines is null) return "";
        var kept = new Queue<string>();
        foreach (string line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            kept.Enqueue(line.Length > MaxLineLength ? line[..MaxLineLength] + "..." : line);
            if (kept.Count > MaxLines) kept.Dequeue();
        }
        return string.Join(Environment.NewLine, kept);
    }
}
