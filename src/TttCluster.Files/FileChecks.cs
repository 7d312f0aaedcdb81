namespace TttCluster.Files;

/// <summary>
/// Checks a command makes on its files before any work, and the reasons in plain words: so a render to a read-only
/// disk fails in its first second instead of after the model ran, and no raw .NET message reaches the user.
/// </summary>
public static class FileChecks
{
    /// <summary>
    /// Why <paramref name="path"/> cannot be written, or null when it can: the folder must exist and take a new file.
    /// It creates (and deletes) a temporary file beside the target, exactly as the real write will, so a read-only file
    /// system or a missing permission shows now.
    /// </summary>
    public static string? WriteProblem(string path)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return "it is not a valid path";
        }
        if (path.EndsWith('/') || Directory.Exists(fullPath)) return "it is a folder; name a file in it";
        string? folder = Path.GetDirectoryName(fullPath);
        if (folder is null) return "it has no folder";
        if (!Directory.Exists(folder))
            return File.Exists(folder) ? $"{folder} is a file, not a folder" : $"the folder {folder} does not exist";
        try
        {
            // Through the registry, so a process told to quit meanwhile leaves no probe behind either.
            PartialFiles.Process.Create(fullPath).Discard();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{Reason(e)} (no file can be created in {folder})";
        }
    }

    /// <summary>
    /// What is at <paramref name="path"/> instead of a readable file ("no such file", "a folder", "a file it cannot read
    /// (permission denied)"), or null when it can be read.
    /// </summary>
    public static string? ReadProblem(string path)
    {
        if (Directory.Exists(path)) return "a folder";
        try
        {
            using (File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read)) { }
            return null;
        }
        catch (FileNotFoundException)
        {
            return "no such file";
        }
        catch (DirectoryNotFoundException)
        {
            return "no such folder";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"a file it cannot read ({Reason(e)})";
        }
    }

    /// <summary>"PATH: REASON" for an exception no earlier check foresaw, with the path when the exception names one.</summary>
    public static string Describe(Exception e)
    {
        if (e is OutputFileException) return e.Message;
        string? path = e switch
        {
            FileNotFoundException f => f.FileName,
            _ => QuotedPathAtEnd(e.Message),
        };
        return path is null ? Reason(e) : $"{path}: {Reason(e)}";
    }

    /// <summary>.NET ends its file messages with the path in single quotes ("Read-only file system : '/a/b'").</summary>
    private static string? QuotedPathAtEnd(string message)
    {
        string trimmed = message.TrimEnd('.', ' ');
        if (!trimmed.EndsWith('\'')) return null;
        int open = trimmed.LastIndexOf('\'', trimmed.Length - 2);
        return open < 0 ? null : trimmed[(open + 1)..^1];
    }

    /// <summary>
    /// What went wrong with a file, in the project's words: "no such file", "permission denied", "the file system is
    /// read-only", "no space left on the device"; .NET's own message only for errors without a name here.
    /// </summary>
    public static string Reason(Exception e) => e switch
    {
        OutputFileException { InnerException: { } inner } => Reason(inner),
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such folder",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "the path is too long",
        ArgumentException or NotSupportedException => "it is not a valid path",
        // On Unix an IOException's HResult is the errno of the failed call.
        IOException { HResult: Errno.ReadOnlyFileSystem } => "the file system is read-only",
        IOException { HResult: Errno.NoSpace } => "no space left on the device",
        IOException { HResult: Errno.QuotaExceeded } => "the disk quota is exceeded",
        IOException { HResult: Errno.TooManyOpenFiles } => "too many open files",
        IOException { HResult: Errno.NotADirectory } => "a part of the path is a file, not a folder",
        IOException { HResult: Errno.IsADirectory } => "it is a folder, not a file",
        IOException { HResult: Errno.InputOutput } => "the device reported an input/output error",
        _ => $"an input/output error ({e.Message})",
    };

    /// <summary>Linux errno values that .NET reports as an IOException's HResult.</summary>
    private static class Errno
    {
        public const int InputOutput = 5;
        public const int NotADirectory = 20;
        public const int IsADirectory = 21;
        public const int TooManyOpenFiles = 24;
        public const int NoSpace = 28;
        public const int ReadOnlyFileSystem = 30;
        public const int QuotaExceeded = 122;
    }
}
