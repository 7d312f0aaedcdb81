namespace TttCluster.Video;

/// <summary>
/// ffmpeg or ffprobe could not do its job: the program is missing, it exited with an error, it stopped reading
/// frames, or the video came out short. The message says what happened, to which file, and ends with the tool's
/// own stderr tail when it had something to say. When this is thrown by a writer, no output file was left behind.
/// </summary>
public sealed class VideoEncodingException : IOException
{
    /// <summary>The last lines the tool wrote to stderr, or empty when it wrote nothing or never ran.</summary>
    public string StandardErrorTail { get; }

    public VideoEncodingException(string message, string standardErrorTail = "", Exception? innerException = null)
        : base(FormatMessage(message, standardErrorTail), innerException)
    {
        StandardErrorTail = standardErrorTail;
    }

    private static string FormatMessage(string message, string standardErrorTail) =>
        standardErrorTail.Length == 0 ? message : $"{message}; stderr:{Environment.NewLine}{standardErrorTail}";
}
