using TttCluster.Files;

namespace TttCluster.Cli.Tests;

/// <summary>Runs `ttt` in this process with its own writers, as a pipe would see it (not a terminal).</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Err) Ttt(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var interrupts = new Interrupts(error, new PartialFiles());
        int code = CliApp.Run(args, new CliContext(output, error, OutputIsTerminal: false, interrupts));
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A two-scene story, quick to render.</summary>
    public static string WriteTwoSceneStory(string folder, string name = "two.yaml")
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, "title: Two scenes\nseed: 7\nscenes:\n  - text: \"Tom chases Jerry round the kitchen.\"\n  - text: \"Jerry hides in his mouse hole.\"\n");
        return path;
    }

    /// <summary>The repository root (the folder holding TttCluster.sln), found upwards from the test's folder.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TttCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no TttCluster.sln above {AppContext.BaseDirectory}");
    }
}
