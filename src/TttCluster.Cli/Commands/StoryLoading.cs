using TttCluster.Model;
using TttCluster.Rendering;
using TttCluster.Stories;

namespace TttCluster.Cli.Commands;

/// <summary>The model file a command uses, and stories checked against that model's limits.</summary>
public static class StoryLoading
{
    /// <summary>The shipped Tiny model, next to the CLI (copied there at build time from models/).</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors");

    public static readonly CliOption ModelOption = new("--model", "FILE", "the model file (default: the shipped Tiny model)");

    /// <summary>The model of --model (or the shipped one), after checking the file can be read at all.</summary>
    public static ModelBundle LoadModel(string? path)
    {
        if (path is not null) OutputFiles.CheckReadable("--model", path, "a model file (.safetensors)");
        return ModelBundle.Load(path ?? DefaultModelPath);
    }

    private static string Problems(int n) => n == 1 ? "1 problem" : $"{n} problems";

    /// <summary>Parses and validates; problems come back as one message with one line per problem.</summary>
    public static Story Load(string path, ModelBundle model)
    {
        try { return StoryParser.ParseFile(path, StoryRequests.LimitsFor(model)); }
        catch (StoryValidationException e)
        {
            string lines = string.Join(Environment.NewLine, e.Errors.Select(x => "  " + x));
            string more = e.OmittedErrorCount > 0 ? $"{Environment.NewLine}  ... and {e.OmittedErrorCount} more" : "";
            throw new CliException($"{path} is not a valid story ({Problems(e.Errors.Count + e.OmittedErrorCount)}):{Environment.NewLine}{lines}{more}");
        }
    }
}
