namespace TttCluster.Video;

/// <summary>
/// Finds the ffmpeg and ffprobe programs. An environment variable TTT_&lt;TOOL&gt; (TTT_FFMPEG, TTT_FFPROBE) names
/// the program exactly and wins over PATH, so a deployment can pin a build and a test can make the tool "missing".
/// </summary>
public static class FfmpegTools
{
    /// <summary>The fix for a missing tool; both programs come in Debian's ffmpeg package.</summary>
    public const string InstallHint = "install it: sudo apt-get install ffmpeg (or run scripts/install-deps.sh)";

    /// <summary>The environment variable that overrides the lookup of <paramref name="tool"/>: TTT_FFMPEG for "ffmpeg".</summary>
    public static string OverrideVariable(string tool) => "TTT_" + tool.ToUpperInvariant();

    /// <summary>
    /// The full path of <paramref name="tool"/> ("ffmpeg" or "ffprobe"): the file named by its override variable when
    /// that is set, else the first executable of that name on PATH. Throws <see cref="VideoEncodingException"/> with
    /// the install hint when there is none.
    /// </summary>
    public static string Find(string tool)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tool);
        string variable = OverrideVariable(tool);
        string? overridePath = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(overridePath))
        {
            return IsExecutableFile(overridePath)
                ? Path.GetFullPath(overridePath)
                : throw new VideoEncodingException($"{tool} not found at {overridePath} (set by {variable}); {InstallHint}, or unset {variable}");
        }
        return SearchPath(tool) ?? throw new VideoEncodingException($"{tool} not found on PATH; {InstallHint}");
    }

    private static string? SearchPath(string tool)
    {
        string[] names = OperatingSystem.IsWindows() ? [tool + ".exe", tool] : [tool];
        string pathVariable = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string directory in pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in names)
            {
                string candidate = Path.Combine(directory, name);
                if (IsExecutableFile(candidate)) return Path.GetFullPath(candidate);
            }
        }
        return null;
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path)) return false;
        if (OperatingSystem.IsWindows()) return true;
        // A file without an execute bit would only fail later, at Process.Start, with a less helpful error.
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
