namespace TttCluster.Cli.Commands;

/// <summary>`ttt validate STORY [--model FILE]`: checks a story against the format and the model's limits.</summary>
public static class ValidateCommand
{
    public static readonly CliCommand Command = new("validate", "validate STORY.yaml [--model FILE]",
        "check a story file against the format and the model's limits, without rendering",
        "Each problem is one line: FILE:LINE:COLUMN: FIELD: expected ..., found .... Exit codes: 0 valid, 2 not.",
        [StoryLoading.ModelOption],
        Run);

    private static int Run(CliArguments a, CliContext context)
    {
        a.AtMostPositionals(1, "validate");
        string path = a.Positional(0, "the story file (ttt validate STORY.yaml)");
        var model = StoryLoading.LoadModel(a.Optional("--model"));
        var story = StoryLoading.Load(path, model);
        context.Output.WriteLine($"{path}: valid. \"{story.Title}\", {story.Scenes.Count} scenes (about {story.Scenes.Count * 3} s of video)" +
                                 (story.Seed is { } seed ? $", seed {seed}" : "") +
                                 (story.Settings.Steps is { } steps ? $", {steps} steps" : ""));
        return 0;
    }
}
