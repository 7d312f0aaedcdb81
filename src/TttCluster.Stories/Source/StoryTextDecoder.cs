using System.Buffers;
using System.Text.Unicode;

namespace TttCluster.Stories.Source;

/// <summary>
/// Turns the bytes of a story file into text, or reports the first byte that makes it unreadable. A story is UTF-8
/// (a BOM is allowed and dropped) without NUL bytes or control characters: YAML forbids them and our YAML parser
/// drops some silently, so a story would not render what its author sees.
/// </summary>
internal static class StoryTextDecoder
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>The text without its BOM, or null after reporting why there is none.</summary>
    /// <param name="bomLength">3 when the file starts with a UTF-8 BOM, else 0: the text starts that many bytes in.</param>
    public static string? Decode(byte[] content, StoryErrorList errors, out int bomLength)
    {
        bomLength = content.AsSpan().StartsWith(Utf8Bom) ? Utf8Bom.Length : 0;
        var body = content.AsMemory(bomLength);

        char[] chars = ArrayPool<char>.Shared.Rent(Math.Max(1, body.Length));   // UTF-16 never needs more chars than UTF-8 has bytes
        try
        {
            var status = Utf8.ToUtf16(body.Span, chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                // bytesRead stops at the first byte of the invalid sequence (or of a sequence cut off by the end of the file).
                string what = bytesRead < body.Length ? $"byte 0x{body.Span[bytesRead]:X2}" : "the end of the file";
                errors.Add(SourceMap.ForUtf8(body), bytesRead, "", "UTF-8 text",
                    $"{what} at byte offset {bomLength + bytesRead} (not valid UTF-8; save the file as UTF-8)");
                return null;
            }
            // After decoding, so a UTF-16 file (full of NULs) is told it is not UTF-8, which is the useful message.
            int nul = body.Span.IndexOf((byte)0);
            if (nul >= 0)
            {
                errors.Add(SourceMap.ForUtf8(body), nul, "", "text without NUL bytes", $"a NUL byte at byte offset {bomLength + nul}");
                return null;
            }
            string text = new(chars, 0, charsWritten);
            int control = PrintableText.IndexOfUnprintable(text, allowLineBreaks: true);
            if (control >= 0)
            {
                errors.Add(SourceMap.ForUtf16(text), control, "", "printable text", PrintableText.Describe(text, control));
                return null;
            }
            return text;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
