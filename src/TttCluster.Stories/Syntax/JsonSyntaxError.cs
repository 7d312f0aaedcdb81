using System.Text;
using System.Text.Json;

namespace TttCluster.Stories.Syntax;

/// <summary>
/// A JSON syntax error in the project's words: what belonged where the reader stopped, and what is there instead. The
/// reader's own messages speak of reader options and token types; this speaks of commas, brackets and quotes.
/// </summary>
internal static class JsonSyntaxError
{
    /// <param name="json">The whole file.</param>
    /// <param name="offset">Where the reader stopped: the offending byte, or the end of the file.</param>
    /// <param name="lastToken">The last token the reader read whole.</param>
    /// <param name="depth">How many objects and arrays were open after it.</param>
    public static (string Expected, string Found) Describe(ReadOnlySpan<byte> json, long offset, JsonTokenType lastToken, int depth)
    {
        int at = (int)Math.Clamp(offset, 0, json.Length);
        while (at < json.Length && IsSpace(json[at])) at++;
        if (at >= json.Length)
            return ("the rest of the story (a value, or a closing } or ] for each one opened)", "the end of the file");

        byte c = json[at];
        string found = Show(json, at);
        int previous = at - 1;
        while (previous >= 0 && IsSpace(json[previous])) previous--;
        byte before = previous >= 0 ? json[previous] : (byte)0;

        if (c == '/') return ("JSON without comments", "a comment");
        if (before == ',' && c is (byte)'}' or (byte)']')
            return ($"another value after ',' (JSON allows no comma before a closing {(char)c})", found);
        if (c == '\'') return ("a string in double quotes", "a single quote");
        bool afterValue = lastToken is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False
            or JsonTokenType.Null or JsonTokenType.EndObject or JsonTokenType.EndArray;
        return (lastToken, before) switch
        {
            (JsonTokenType.PropertyName, _) when before != ':' => ("':' after a field name", found),
            (_, (byte)'"') when StringBeforeIsFieldName(json, previous) => ("':' after a field name", found),
            (_, (byte)':') => ("a value after ':'", found),
            (_, (byte)',') when InObject(json, previous) => ("a field name in double quotes after ','", found),
            (JsonTokenType.StartObject, _) => ("a field name in double quotes, or '}'", found),
            (JsonTokenType.StartArray, _) or (_, (byte)',') => ("a value", found),
            _ when afterValue && depth == 0 => ("the end of the file after the story's one value", found),
            _ when afterValue => ("',' or a closing bracket after a value", found),
            _ => ("a JSON value", found),
        };
    }

    /// <summary>Whether the comma at <paramref name="comma"/> separates fields of an object rather than items of an array.</summary>
    private static bool InObject(ReadOnlySpan<byte> json, int comma)
    {
        // Walk back over the brackets between the comma and the enclosing one, skipping strings.
        int nesting = 0;
        bool inString = false;
        for (int i = comma - 1; i >= 0; i--)
        {
            byte b = json[i];
            if (b == '"' && !IsEscaped(json, i)) inString = !inString;
            if (inString) continue;
            if (b is (byte)'}' or (byte)']') nesting++;
            else if (b is (byte)'{' or (byte)'[')
            {
                if (nesting == 0) return b == '{';
                nesting--;
            }
        }
        return false;
    }

    /// <summary>Whether the string that ends with the quote at <paramref name="closingQuote"/> stands where a field name goes.</summary>
    private static bool StringBeforeIsFieldName(ReadOnlySpan<byte> json, int closingQuote)
    {
        int open = closingQuote - 1;
        while (open >= 0 && !(json[open] == '"' && !IsEscaped(json, open))) open--;
        int before = open - 1;
        while (before >= 0 && IsSpace(json[before])) before--;
        return before >= 0 && (json[before] == '{' || (json[before] == ',' && InObject(json, before)));
    }

    /// <summary>Whether the quote at <paramref name="quote"/> is escaped: an odd number of backslashes before it ("a\\" ends its string).</summary>
    private static bool IsEscaped(ReadOnlySpan<byte> json, int quote)
    {
        int backslashes = 0;
        for (int i = quote - 1; i >= 0 && json[i] == '\\'; i--) backslashes++;
        return backslashes % 2 == 1;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    /// <summary>The character at <paramref name="at"/> as the error shows it: 'x', or a named control character.</summary>
    private static string Show(ReadOnlySpan<byte> json, int at)
    {
        if (Rune.DecodeFromUtf8(json[at..], out Rune rune, out _) != System.Buffers.OperationStatus.Done)
            return $"the byte 0x{json[at]:X2}";
        if (Rune.IsControl(rune)) return $"a control character (U+{rune.Value:X4})";
        // A word (true, null, an unquoted name) reads better whole than by its first letter.
        if (Rune.IsLetter(rune))
        {
            int end = at;
            while (end < json.Length && end - at < 40 && (char.IsAsciiLetterOrDigit((char)json[end]) || json[end] == '_')) end++;
            if (end > at + 1) return $"'{Encoding.UTF8.GetString(json[at..end])}'";
        }
        return $"'{FoundText.Message(rune.ToString())}'";
    }
}
