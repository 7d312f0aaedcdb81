using TttCluster.Files;

namespace TttCluster.Cli.Commands;

/// <summary>The files a command will write: named, and checked for writability before any work.</summary>
public static class OutputFiles
{
    /// <summary>The video path: -o as given, or out/STORY-NAME.mp4 under the current folder (git ignores out/).</summary>
    public static string VideoPath(string? option, string storyPath)
    {
        if (option is not null) return option;
        string name = Path.GetFileNameWithoutExtension(storyPath);
        return Path.Combine(RenderCommand.DefaultFolder, (name.Length == 0 ? "story" : name) + ".mp4");
    }

    /// <summary>
    /// Checks the default video path before any work: while out/ does not exist yet, whether it can be created (a file
    /// can be made in the current folder). <see cref="CreateDefaultFolder"/> makes it once the render is about to start.
    /// </summary>
    public static void CheckDefaultWritable(string videoPath)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(videoPath))!;
        string option = $"--out (default {videoPath})";
        if (Directory.Exists(folder)) CheckWritable(option, videoPath);
        else if (FileChecks.WriteProblem(folder) is { } problem)
            throw new CliException($"{option}: cannot create the folder {folder}: {problem}");
    }

    public static void CreateDefaultFolder(string videoPath) => Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(videoPath))!);

    /// <summary>
    /// Throws a <see cref="CliException"/> naming <paramref name="option"/>, the path and the reason when the path does not
    /// end in <paramref name="extension"/> or a file cannot be created there.
    /// </summary>
    public static void CheckWritable(string option, string path, string? extension = null)
    {
        if (extension is not null && !path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            throw new CliException($"{option}: expected a path ending in {extension}, found '{path}'");
        if (FileChecks.WriteProblem(path) is { } problem)
            throw new CliException($"{option}: cannot write {path}: {problem}");
    }

    /// <summary>Throws a <see cref="CliException"/> naming <paramref name="option"/>, the path and the reason when it cannot be read.</summary>
    public static void CheckReadable(string option, string path, string what)
    {
        if (FileChecks.ReadProblem(path) is { } problem)
            throw new CliException($"{option}: expected {what}, found {problem}: {path}");
    }
}
