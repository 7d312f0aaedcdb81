namespace TttCluster.Stories;

/// <summary>
/// A story that cannot be rendered, with every problem found in it (up to <see cref="StoryLimits.MaxErrors"/>),
/// in file order where the parser could go on after the first. <see cref="Exception.Message"/> is one
/// <see cref="StoryError"/> per line, ready to print.
/// </summary>
public sealed class StoryValidationException : Exception
{
    public StoryValidationException(IReadOnlyList<StoryError> errors, int omittedErrorCount = 0)
        : base(FormatMessage(errors, omittedErrorCount))
    {
        if (errors.Count == 0)
            throw new ArgumentException("a validation exception needs at least one error", nameof(errors));
        Errors = errors;
        OmittedErrorCount = omittedErrorCount;
    }

    /// <summary>The problems, at least one.</summary>
    public IReadOnlyList<StoryError> Errors { get; }

    /// <summary>Problems found beyond <see cref="StoryLimits.MaxErrors"/>, counted but not listed.</summary>
    public int OmittedErrorCount { get; }

    private static string FormatMessage(IReadOnlyList<StoryError> errors, int omittedErrorCount)
    {
        var lines = errors.Select(e => e.ToString());
        if (omittedErrorCount > 0)
            lines = lines.Append($"... and {omittedErrorCount} more problem{(omittedErrorCount == 1 ? "" : "s")}");
        return string.Join('\n', lines);
    }
}
