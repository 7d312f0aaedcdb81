namespace TttCluster.Stories;

/// <summary>
/// What a story may contain, decided by the caller from the model it renders with, e.g.
/// <c>new StoryLimits(MaxScenes: 32, MaxTextTokens: 226, CountTokens: tokenizer.Count)</c>.
/// The structural limits (file size, depth, nodes) bound the parser's time and memory on hostile files.
/// </summary>
/// <param name="MaxScenes">Most scenes (3-second segments) in one story, e.g. 32.</param>
/// <param name="MaxTextTokens">Most tokens in one scene's text, and separately in its negative text, e.g. 226.</param>
/// <param name="CountTokens">The model's tokenizer: the number of tokens of a (trimmed) text.</param>
public sealed record StoryLimits(int MaxScenes, int MaxTextTokens, Func<string, int> CountTokens)
{
    /// <summary>Most denoising steps a story may ask for.</summary>
    public int MaxSteps { get; init; } = 200;

    /// <summary>Smallest allowed guidance scale.</summary>
    public double MinGuidance { get; init; } = 0;

    /// <summary>Largest allowed guidance scale.</summary>
    public double MaxGuidance { get; init; } = 30;

    /// <summary>Smallest allowed guidance power.</summary>
    public double MinGuidancePower { get; init; } = 0;

    /// <summary>Largest allowed guidance power.</summary>
    public double MaxGuidancePower { get; init; } = 10;

    /// <summary>Most characters (Unicode code points) in the trimmed title.</summary>
    public int MaxTitleLength { get; init; } = 200;

    /// <summary>Largest story file; bigger files are rejected before any parsing. 1 MiB.</summary>
    public int MaxFileBytes { get; init; } = 1 << 20;

    /// <summary>Deepest nesting of lists and mappings; a story needs 3 (story, scenes, scene).</summary>
    public int MaxDepth { get; init; } = 16;

    /// <summary>Most YAML/JSON nodes (scalars, lists, mappings, keys included) in one file.</summary>
    public int MaxNodes { get; init; } = 100_000;

    /// <summary>Most problems listed in one <see cref="StoryValidationException"/>; the rest are only counted.</summary>
    public int MaxErrors { get; init; } = 100;

    /// <summary>Throws <see cref="ArgumentException"/> when the limits themselves make no sense (a caller bug, not a story problem).</summary>
    public StoryLimits Validate()
    {
        ArgumentNullException.ThrowIfNull(CountTokens);
        Positive(MaxScenes);
        Positive(MaxTextTokens);
        Positive(MaxSteps);
        Positive(MaxTitleLength);
        Positive(MaxFileBytes);
        Positive(MaxDepth);
        Positive(MaxNodes);
        Positive(MaxErrors);
        Range(MinGuidance, MaxGuidance);
        Range(MinGuidancePower, MaxGuidancePower);
        return this;
    }

    private static void Positive(int value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"StoryLimits.{name} must be at least 1");
    }

    private static void Range(double min, double max,
        [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(min))] string? minName = null,
        [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(max))] string? maxName = null)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max)
            throw new ArgumentException($"StoryLimits.{minName} ({min}) and {maxName} ({max}) must be finite with {minName} <= {maxName}");
    }
}
