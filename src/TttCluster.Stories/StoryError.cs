using System.Text;

namespace TttCluster.Stories;

/// <summary>
/// One problem in a story file, e.g. <c>kitchen.yaml:7:5: scenes[1].text: expected a non-empty string, found ""</c>.
/// Text taken from the file (in <see cref="Found"/>) is quoted, shortened and has control characters escaped, so an
/// error can be printed to a terminal as it is.
/// </summary>
/// <param name="Source">The file name the caller gave, e.g. "kitchen.yaml".</param>
/// <param name="Line">1-based line, or null for problems with the file as a whole (too big, unreadable).</param>
/// <param name="Column">1-based column in characters (Unicode code points, a tab counts as one), or null with <see cref="Line"/>.</param>
/// <param name="Field">Path of the field, e.g. "scenes[2].negative_text" or "settings.steps"; empty for the file or document itself.</param>
/// <param name="Expected">What the format wants there, e.g. "an integer from 1 to 200".</param>
/// <param name="Found">What the file has there, e.g. "1000" or "a list".</param>
public sealed record StoryError(string Source, int? Line, int? Column, string Field, string Expected, string Found)
{
    public override string ToString()
    {
        var text = new StringBuilder(Source);
        if (Line is int line)
        {
            text.Append(':').Append(line);
            if (Column is int column)
                text.Append(':').Append(column);
        }
        text.Append(": ");
        if (Field.Length > 0)
            text.Append(Field).Append(": ");
        return text.Append("expected ").Append(Expected).Append(", found ").Append(Found).ToString();
    }
}
