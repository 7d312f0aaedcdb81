using System.Globalization;
using System.Text;

namespace TttCluster.Storage;

/// <summary>
/// The one rule for blob names, shared by every <see cref="IBlobStore"/> so that a name accepted by the local folder store
/// is accepted by the cloud store too, and a name can never climb out of the store's root.
/// </summary>
public static class BlobNames
{
    /// <summary>The longest accepted name, in characters.</summary>
    public const int MaxLength = 512;

    // A refused name may be huge or hostile (terminal escapes, newlines forging log lines); the message shows this much of it.
    private const int ShownLength = 80;

    private const string Expected =
        "expected a relative path of segments of letters, digits, '.', '_' and '-' separated by single '/', "
        + "without \".\" or \"..\" segments, without a leading or trailing '/', at most 512 characters (e.g. \"videos/story-1.mp4\")";

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming <paramref name="name"/> (escaped) and the rule when it is not a
    /// valid blob name. <paramref name="what"/> says in the message what the name is for ("blob name", "folder prefix").
    /// </summary>
    public static void Check(string name, string what = "blob name")
    {
        if (name is null)
        {
            throw new ArgumentNullException(nameof(name), $"The {what} is null; {Expected}.");
        }

        string? problem = FindProblem(name);
        if (problem is not null)
        {
            throw new ArgumentException($"The {what} {Show(name)} is refused: {problem}; {Expected}.", nameof(name));
        }
    }

    /// <summary>Whether <paramref name="name"/> passes <see cref="Check"/>.</summary>
    public static bool IsValid(string? name) => name is not null && FindProblem(name) is null;

    /// <summary>
    /// <paramref name="text"/> quoted for an error message: at most 80 characters of it, with control and invisible
    /// characters, quotes and backslashes escaped, so that the message stays one readable line whatever the input.
    /// </summary>
    public static string Show(string text)
    {
        var shown = new StringBuilder("\"");
        foreach (char c in text.AsSpan(0, Math.Min(text.Length, ShownLength)))
        {
            AppendEscaped(shown, c);
        }

        shown.Append('"');
        if (text.Length > ShownLength)
        {
            shown.Append(CultureInfo.InvariantCulture, $"... ({text.Length} characters in all)");
        }

        return shown.ToString();
    }

    private static string? FindProblem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"it is {name.Length} characters long";
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c != '/' && !IsAllowedInSegment(c))
            {
                var shown = new StringBuilder("'");
                AppendEscaped(shown, c);
                return $"the character {shown}' at index {i} is not allowed";
            }
        }

        if (name[0] == '/')
        {
            return "it starts with '/' (an absolute path)";
        }

        if (name[^1] == '/')
        {
            return "it ends with '/'";
        }

        foreach (string segment in name.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "it has an empty segment (\"//\")";
            }

            if (segment is "." or "..")
            {
                return $"it has a \"{segment}\" segment";
            }
        }

        return null;
    }

    // ASCII only: names become file names and URLs, where look-alike Unicode letters and normalisation would bite.
    private static bool IsAllowedInSegment(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    private static void AppendEscaped(StringBuilder text, char c)
    {
        UnicodeCategory category = char.GetUnicodeCategory(c);
        bool invisible = char.IsControl(c)
            || category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
        if (invisible)
        {
            text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
        }
        else if (c is '\\' or '"')
        {
            text.Append('\\').Append(c);
        }
        else
        {
            text.Append(c);
        }
    }
}
