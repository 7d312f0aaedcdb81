using System.Diagnostics;

namespace TttCluster.Cli.Tests;

/// <summary>
/// A folder no file can be created in: a read-only tmpfs mounted over a temporary folder where this process may mount
/// (root, as in CI); for a user that is not root, a folder without write permission; for root in a container that may
/// not mount, /sys, where even root may not create files.
/// </summary>
internal sealed class ReadOnlyFolder : IDisposable
{
    private readonly bool _mounted, _ours;

    public string Path { get; }

    /// <summary>The reason the CLI gives for it.</summary>
    public string Reason => _mounted ? "the file system is read-only" : "permission denied";

    private ReadOnlyFolder(string path, bool mounted, bool ours = true)
    {
        Path = path;
        _mounted = mounted;
        _ours = ours;
    }

    public static ReadOnlyFolder Create()
    {
        string path = Directory.CreateTempSubdirectory("ttt-readonly-").FullName;
        if (Run("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", path))
            return new ReadOnlyFolder(path, mounted: true);
        if (Environment.UserName == "root")
        {
            Directory.Delete(path);
            // Root ignores folder permissions, but sysfs refuses new files to everyone.
            return new ReadOnlyFolder("/sys", mounted: false, ours: false);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return new ReadOnlyFolder(path, mounted: false);
    }

    public void Dispose()
    {
        if (!_ours) return;
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
