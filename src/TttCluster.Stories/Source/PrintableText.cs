using System.Globalization;

namespace TttCluster.Stories.Source;

/// <summary>
/// Which characters a story may hold. Control characters mean a broken or hostile file (and our YAML parser drops some
/// silently), and a lone surrogate cannot be encoded for a tokenizer; tab and line breaks are fine in prompts.
/// </summary>
internal static class PrintableText
{
    /// <summary>Index of the first C0/C1 control character (bar tab, LF and CR when <paramref name="allowLineBreaks"/>) or lone surrogate, or -1.</summary>
    public static int IndexOfUnprintable(string text, bool allowLineBreaks)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                return i;
            if (char.GetUnicodeCategory(c) == UnicodeCategory.Control && !(allowLineBreaks && c is '\t' or '\n' or '\r'))
                return i;
        }
        return -1;
    }

    /// <summary>How an error names the character at <paramref name="index"/>, e.g. "control character U+0007".</summary>
    public static string Describe(string text, int index) =>
        char.IsSurrogate(text[index]) ? $"lone surrogate U+{(int)text[index]:X4}" : $"control character U+{(int)text[index]:X4}";
}
