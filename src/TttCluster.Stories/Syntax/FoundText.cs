using System.Globalization;
using System.Text;

namespace TttCluster.Stories.Syntax;

/// <summary>
/// Describes what a story file holds, for the "found ..." half of an error. Everything here comes from an untrusted
/// file and ends up on a terminal or in a log, so it is shortened and every control, format (e.g. bidi override) and
/// separator character is escaped.
/// </summary>
internal static class FoundText
{
    /// <summary>Longest quoted excerpt, in code points; enough to recognise a scene.</summary>
    private const int MaxExcerpt = 40;

    public static string Describe(StoryNode node) => node switch
    {
        ScalarNode { Kind: ScalarKind.String } s => Quote(s.Value),
        ScalarNode { Kind: ScalarKind.Null, Value: "" } => "an empty value",
        ScalarNode s => Escape(s.Value, MaxExcerpt),   // numbers, booleans and null as written: 1000, .nan, true, ~
        SequenceNode { Items.Count: 0 } => "an empty list",
        SequenceNode q => q.Items.Count == 1 ? "a list of 1 item" : $"a list of {q.Items.Count} items",
        MappingNode => "a mapping",
        _ => "a value that was rejected above",
    };

    /// <summary>The text in double quotes, escaped and cut after <see cref="MaxExcerpt"/> code points, e.g. <c>"Tom eats an..." (87 characters)</c>.</summary>
    public static string Quote(string text)
    {
        string excerpt = Escape(text, MaxExcerpt);
        int length = CodePointCount(text);
        return length > MaxExcerpt ? $"\"{excerpt}\" ({length} characters)" : $"\"{excerpt}\"";
    }

    /// <summary>A name from the file (a field, an anchor) made safe to print, e.g. for a path like <c>scenes[0].txt</c>.</summary>
    public static string Name(string name) => Escape(name, MaxExcerpt);

    public static int CodePointCount(string text)
    {
        int count = 0;
        foreach (char c in text)
            if (!char.IsLowSurrogate(c))
                count++;
        return count;
    }

    /// <summary>A parser's message, which may quote the file: control characters escaped, quotes kept as they are.</summary>
    public static string Message(string message) => Escape(message, maxCodePoints: 200, escapeQuotes: false);

    private static string Escape(string text, int maxCodePoints, bool escapeQuotes = true)
    {
        var escaped = new StringBuilder();
        int codePoints = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (codePoints++ == maxCodePoints)
                return escaped.Append("...").ToString();
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped.Append(c).Append(text[++i]);
                continue;
            }
            escaped.Append(c switch
            {
                '"' when escapeQuotes => "\\\"",
                '\\' when escapeQuotes => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when NeedsEscape(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsSurrogate(c) || char.GetUnicodeCategory(c) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
