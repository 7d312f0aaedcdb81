using System.Diagnostics;

namespace TttCluster.Cli.Tests;

/// <summary>
/// A folder no file can be created in: a read-only tmpfs mounted over a temporary folder where this process may mount
/// (root, as in CI), otherwise a folder without write permission (for a user that is not root).
/// </summary>
internal sealed class ReadOnlyFolder : IDisposable
{
    private readonly bool _mounted;

    public string Path { get; }

    /// <summary>The reason the CLI gives for it.</summary>
    public string Reason => _mounted ? "the file system is read-only" : "permission denied";

    private ReadOnlyFolder(string path, bool mounted)
    {
        Path = path;
        _mounted = mounted;
    }

    public static ReadOnlyFolder Create()
    {
        string path = Directory.CreateTempSubdirectory("ttt-readonly-").FullName;
        if (Run("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", path))
            return new ReadOnlyFolder(path, mounted: true);
        if (Environment.UserName == "root")
            throw new InvalidOperationException($"running as root but cannot mount a read-only tmpfs on {path}; root ignores folder permissions");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return new ReadOnlyFolder(path, mounted: false);
    }

    public void Dispose()
    {
        if (_mounted) Run("umount", Path);
        else if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(Path);
    }

    private static bool Run(string program, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
