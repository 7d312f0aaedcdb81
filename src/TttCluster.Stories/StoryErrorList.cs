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

    /// <summary>A problem with the file as a whole, or at a position already known.</summary>
    public void Add(SourcePosition? at, string field, string expected, string found)
    {
        if (_errors.Count < maxErrors)
            _errors.Add(new StoryError(source, at?.Line, at?.Column, field, expected, found));
        else
            OmittedCount++;
    }

    /// <summary>
    /// A problem at <paramref name="offset"/>. Locating costs up to a line's length, and a hostile one-line file can
    /// have a megabyte-long line and thousands of problems: only the problems that are kept get located.
    /// </summary>
    public void Add(SourceMap map, long offset, string field, string expected, string found) =>
        Add(_errors.Count < maxErrors ? map.Locate(offset) : null, field, expected, found);

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
