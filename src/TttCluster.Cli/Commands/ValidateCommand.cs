namespace TttCluster.Cli.Commands;

/// <summary>`ttt validate STORY [--model FILE]`: checks a story against the format and the model's limits.</summary>
public static class ValidateCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        var a = new CliArguments(args, new HashSet<string> { "--model" }, new HashSet<string>());
        string path = a.Positional(0, "the story file (ttt validate STORY.yaml)");
        var model = StoryLoading.LoadModel(a.Optional("--model"));
        var story = StoryLoading.Load(path, model);
        output.WriteLine($"{path}: valid. \"{story.Title}\", {story.Scenes.Count} scenes (about {story.Scenes.Count * 3} s of video)" +
                         (story.Seed is { } seed ? $", seed {seed}" : "") +
                         (story.Settings.Steps is { } steps ? $", {steps} steps" : ""));
        return 0;
    }
}
