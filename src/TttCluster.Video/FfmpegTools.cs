using FFMpegCore;

namespace TttCluster.Video;

/// <summary>
/// Finds the ffmpeg and ffprobe programs. An environment variable TTT_&lt;TOOL&gt; (TTT_FFMPEG, TTT_FFPROBE) names
/// the program exactly and wins over PATH, so a deployment can pin a build and a test can make the tool "missing".
/// FFMpegCore runs the programs; <see cref="OptionsFor"/> points it at the one found here.
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

    /// <summary>
    /// FFMpegCore options that run exactly the <paramref name="tool"/> <see cref="Find"/> returns. Per-run options,
    /// not <see cref="GlobalFFOptions"/>: ffmpeg and ffprobe may be pinned to different folders, and the lookup reads
    /// the environment on every call. Throws <see cref="VideoEncodingException"/> when the tool is missing, or when
    /// FFMpegCore would run another file than the one found (it runs "&lt;folder&gt;/ffmpeg", so a pinned program under
    /// another name, or an x64/ffmpeg beside it, would silently be swapped).
    /// </summary>
    internal static FFOptions OptionsFor(string tool)
    {
        string path = Find(tool);
        // Fresh options rather than a clone of GlobalFFOptions.Current, so an ffmpeg.config.json lying in the working
        // directory cannot redirect the run either.
        var options = new FFOptions { BinaryFolder = Path.GetDirectoryName(path) ?? "" };
        string runs = tool == "ffprobe" ? GlobalFFOptions.GetFFProbeBinaryPath(options) : GlobalFFOptions.GetFFMpegBinaryPath(options);
        if (Path.IsPathRooted(runs) && string.Equals(Path.GetFullPath(runs), path, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            return options;
        // FFMpegCore answers with the bare name when the folder has no such file: it would then search PATH itself.
        string instead = Path.IsPathRooted(runs)
            ? $"FFMpegCore would run {runs} instead"
            : $"FFMpegCore finds no file named {tool} in {options.BinaryFolder} (it would run whatever {runs} is on PATH)";
        throw new VideoEncodingException(
            $"{tool} was found at {path}, but {instead}; name the program {tool} in its own folder (set {OverrideVariable(tool)} to such a file)");
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
