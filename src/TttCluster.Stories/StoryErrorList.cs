using TttCluster.Stories.Source;

namespace TttCluster.Stories;

/// <summary>
/// Collects the problems of one story file. A hostile file can hold thousands of problems: past
/// <see cref="StoryLimits.MaxErrors"/> they are counted, not kept, so the message stays readable and small.
/// </summary>
internal sealed class StoryErrorList(string source, int maxErrors)
{
    private readonly List<StoryError> _errors = [];

    public bool Any => _errors.Count > 0;

    public void Add(SourcePosition? at, string field, string expected, string found)
    {
        if (_errors.Count < maxErrors)
            _errors.Add(new StoryError(source, at?.Line, at?.Column, field, expected, found));
        else
            OmittedCount++;
    }

    public int OmittedCount { get; private set; }

    /// <summary>Throws the collected problems in file order, if there are any.</summary>
    public void ThrowIfAny()
    {
        if (!Any)
            return;
        // Syntax problems and schema problems are found in two passes; the reader wants them top to bottom.
        var ordered = _errors.OrderBy(e => e.Line ?? 0).ThenBy(e => e.Column ?? 0).ToArray();
        throw new StoryValidationException(ordered, OmittedCount);
    }
}
