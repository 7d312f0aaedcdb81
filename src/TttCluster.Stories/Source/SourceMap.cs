namespace TttCluster.Stories.Source;

/// <summary>
/// Turns an offset into the parsed text into a line and column. The YAML parser reports UTF-16 indices and the JSON
/// reader byte offsets; both become columns in code points here, so the same story gives the same column in either
/// format and in an editor. Lines end at '\n' (a "\r\n" pair counts once because '\r' only ends a line's text).
/// </summary>
internal sealed class SourceMap
{
    private readonly int[] _lineStarts;
    private readonly Func<int, int, int> _countCodePoints;
    private readonly int _length;

    private SourceMap(int[] lineStarts, int length, Func<int, int, int> countCodePoints)
    {
        _lineStarts = lineStarts;
        _length = length;
        _countCodePoints = countCodePoints;
    }

    /// <summary>A map over UTF-16 text, offsets in chars.</summary>
    public static SourceMap ForUtf16(string text) =>
        new(LineStarts(text.AsSpan()), text.Length, (from, to) =>
        {
            // A surrogate pair is one code point: count everything but the low halves.
            int count = 0;
            foreach (char c in text.AsSpan(from, to - from))
                if (!char.IsLowSurrogate(c))
                    count++;
            return count;
        });

    /// <summary>A map over UTF-8 bytes, offsets in bytes.</summary>
    public static SourceMap ForUtf8(ReadOnlyMemory<byte> bytes) =>
        new(LineStarts(bytes.Span), bytes.Length, (from, to) =>
        {
            // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
            int count = 0;
            foreach (byte b in bytes.Span[from..to])
                if ((b & 0xC0) != 0x80)
                    count++;
            return count;
        });

    /// <summary>Line and column of <paramref name="offset"/>; offsets past the end land just after the last character.</summary>
    public SourcePosition Locate(long offset)
    {
        int clamped = (int)Math.Clamp(offset, 0, _length);
        int line = LineIndex(clamped);
        return new SourcePosition(line + 1, _countCodePoints(_lineStarts[line], clamped) + 1);
    }

    /// <summary>Just the 1-based line of <paramref name="offset"/>: a binary search, cheap on any file.</summary>
    public int LineOf(long offset) => LineIndex((int)Math.Clamp(offset, 0, _length)) + 1;

    private int LineIndex(int offset)
    {
        int line = Array.BinarySearch(_lineStarts, offset);
        return line >= 0 ? line : ~line - 1;   // else the last line starting before the offset
    }

    /// <summary>The offset of a 0-based line and an offset within it, as the JSON reader reports a syntax error.</summary>
    public long OffsetOf(long zeroBasedLine, long offsetInLine)
    {
        int line = (int)Math.Clamp(zeroBasedLine, 0, _lineStarts.Length - 1);
        return _lineStarts[line] + Math.Max(0, offsetInLine);
    }

    private static int[] LineStarts(ReadOnlySpan<char> text) => LineStarts(text, static (t, from) => t[from..].IndexOf('\n'));

    private static int[] LineStarts(ReadOnlySpan<byte> text) => LineStarts(text, static (t, from) => t[from..].IndexOf((byte)'\n'));

    private delegate int NextLineBreak<T>(ReadOnlySpan<T> text, int from);

    private static int[] LineStarts<T>(ReadOnlySpan<T> text, NextLineBreak<T> next)
    {
        var starts = new List<int> { 0 };
        for (int from = 0, found; from < text.Length && (found = next(text, from)) >= 0; from += found + 1)
            starts.Add(from + found + 1);
        return starts.ToArray();
    }
}
