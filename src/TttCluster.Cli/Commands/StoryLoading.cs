using TttCluster.Model;
using TttCluster.Stories;

namespace TttCluster.Cli.Commands;

/// <summary>The model file a command uses, and stories checked against that model's limits.</summary>
public static class StoryLoading
{
    /// <summary>The shipped Tiny model, next to the CLI (copied there at build time from models/).</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors");

    /// <summary>Scenes a story may have: about 96 seconds of video for the shipped model.</summary>
    public const int MaxScenes = 32;

    public static ModelBundle LoadModel(string? path) => ModelBundle.Load(path ?? DefaultModelPath);

    public static StoryLimits LimitsFor(ModelBundle model) =>
        new(MaxScenes, model.TextEncoder.TokensPerSegment, model.TextEncoder.CountTokens);

    private static string Problems(int n) => n == 1 ? "1 problem" : $"{n} problems";

    /// <summary>Parses and validates; problems come back as one message with one line per problem.</summary>
    public static Story Load(string path, ModelBundle model)
    {
        try { return StoryParser.ParseFile(path, LimitsFor(model)); }
        catch (StoryValidationException e)
        {
            string lines = string.Join(Environment.NewLine, e.Errors.Select(x => "  " + x));
            string more = e.OmittedErrorCount > 0 ? $"{Environment.NewLine}  ... and {e.OmittedErrorCount} more" : "";
            throw new CliException($"{path} is not a valid story ({Problems(e.Errors.Count + e.OmittedErrorCount)}):{Environment.NewLine}{lines}{more}");
        }
    }
}
