using System.Globalization;
using TttCluster.Stories.Source;
using TttCluster.Stories.Syntax;

namespace TttCluster.Stories.Schema;

/// <summary>
/// Reads one typed value out of a node, or reports what was expected and what was found there. Types are strict:
/// a quoted "42" is not a number, 20.0 is not an integer, so a story means what it appears to mean.
/// </summary>
internal sealed class ValueReader(SourceMap map, StoryErrorList errors)
{
    /// <summary>The "found" of a required field that is not there.</summary>
    public const string MissingField = "nothing (the field is missing)";

    /// <summary>An optional field written as null or left empty ("seed:") counts as not given.</summary>
    public static bool IsAbsent(StoryNode node) => node is ScalarNode { Kind: ScalarKind.Null };

    public void Report(StoryNode node, string path, string expected)
    {
        if (node is not RejectedNode)   // already reported by the reader
            Report(node.Offset, path, expected, FoundText.Describe(node));
    }

    public void Report(int offset, string path, string expected, string found) =>
        errors.Add(map, offset, path, expected, found);

    /// <summary>The trimmed text, or null after reporting why there is none.</summary>
    /// <param name="singleLine">A title is one line: no tabs or line breaks either.</param>
    public string? Text(StoryNode node, string path, bool singleLine = false)
    {
        const string expected = "a non-empty string";
        if (node is ScalarNode { Kind: ScalarKind.Number or ScalarKind.Boolean } unquoted)
        {
            // "title: 1984" is a number in YAML; the fix is one pair of quotes, so say so.
            string kind = unquoted.Kind == ScalarKind.Number ? "a number" : "a boolean";
            Report(node.Offset, path, expected, $"{FoundText.Describe(node)} ({kind}; put it in quotes if it is text)");
            return null;
        }
        if (node is not ScalarNode { Kind: ScalarKind.String } scalar || scalar.Value.Trim().Length == 0)
        {
            Report(node, path, expected);
            return null;
        }
        string text = scalar.Value.Trim();
        int unprintable = PrintableText.IndexOfUnprintable(text, allowLineBreaks: !singleLine);
        if (unprintable >= 0)
        {
            Report(node.Offset, path, singleLine ? "a single line of printable text" : "printable text",
                PrintableText.Describe(text, unprintable));
            return null;
        }
        return text;
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>], or false after reporting.</summary>
    public bool TryInteger(StoryNode node, string path, ulong min, ulong max, out ulong value)
    {
        value = 0;
        if (node is ScalarNode { Kind: ScalarKind.Number } scalar
            && NumberText.TryParseInteger(scalar.Value, out bool negative, out ulong magnitude)
            && (!negative || magnitude == 0) && magnitude >= min && magnitude <= max)
        {
            value = magnitude;
            return true;
        }
        Report(node, path, $"an integer from {min} to {max}");
        return false;
    }

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>], or false after reporting (NaN and infinities included).</summary>
    public bool TryNumber(StoryNode node, string path, double min, double max, out double value)
    {
        value = 0;
        if (node is ScalarNode { Kind: ScalarKind.Number } scalar
            && NumberText.TryParseNumber(scalar.Value, out double number)
            && double.IsFinite(number) && number >= min && number <= max)
        {
            value = number;
            return true;
        }
        Report(node, path, string.Create(CultureInfo.InvariantCulture, $"a number from {min} to {max}"));
        return false;
    }
}
