using System.Text;

namespace TttCluster.Stories.Tests;

/// <summary>Parses test stories with limits small enough to hit: 4 scenes, 12 words per text.</summary>
internal static class TestStories
{
    public const string Source = "kitchen.yaml";

    /// <summary>Whitespace-separated words stand in for the model's tokenizer.</summary>
    public static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    public static StoryLimits Limits { get; } = new(MaxScenes: 4, MaxTextTokens: 12, CountTokens: CountWords);

    public const string Valid = """
        title: Kitchen chase
        seed: 42
        settings: { steps: 20, guidance: 4.0 }
        scenes:
          - text: "Tom eats an apple pie at the kitchen table."
            negative_text: "blurry"
          - text: "Jerry rings the doorbell; Tom goes to open the door."
        """;

    public static Story Parse(string text, StoryLimits? limits = null) =>
        StoryParser.Parse(Encoding.UTF8.GetBytes(text), Source, limits ?? Limits);

    public static IReadOnlyList<StoryError> Errors(string text, StoryLimits? limits = null) => Errors(Encoding.UTF8.GetBytes(text), limits);

    public static IReadOnlyList<StoryError> Errors(byte[] content, StoryLimits? limits = null) =>
        Assert.Throws<StoryValidationException>(() => StoryParser.Parse(content, Source, limits ?? Limits)).Errors;

    /// <summary>The only error of a story that has exactly one problem.</summary>
    public static StoryError SingleError(string text, StoryLimits? limits = null) => Assert.Single(Errors(text, limits));

    /// <summary>The error about <paramref name="field"/>; fails listing all errors when there is none.</summary>
    public static StoryError ErrorFor(IReadOnlyList<StoryError> errors, string field) =>
        errors.FirstOrDefault(e => e.Field == field)
        ?? throw new Xunit.Sdk.XunitException($"no error for field '{field}'; errors:\n{string.Join('\n', errors)}");
}
