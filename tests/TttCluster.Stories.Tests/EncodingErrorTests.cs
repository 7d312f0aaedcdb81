using System.Text;

namespace TttCluster.Stories.Tests;

public class EncodingErrorTests
{
    [Fact]
    public void Parse_InvalidUtf8NamesTheByteItsOffsetAndLine()
    {
        byte[] content = [.. "title: T\nscenes:\n  - text: caf"u8, 0xE9, .. "\n"u8];   // Latin-1 é

        var error = Assert.Single(TestStories.Errors(content));

        Assert.Equal("kitchen.yaml:3:14: expected UTF-8 text, found byte 0xE9 at byte offset 30 (not valid UTF-8; save the file as UTF-8)", error.ToString());
    }

    [Fact]
    public void Parse_InvalidUtf8AfterABomCountsOffsetsFromTheFileStart()
    {
        byte[] content = [0xEF, 0xBB, 0xBF, .. "title: T\n"u8, 0xFF];

        var error = Assert.Single(TestStories.Errors(content));

        Assert.Equal(2, error.Line);
        Assert.Equal(1, error.Column);
        Assert.Contains("byte 0xFF at byte offset 12", error.Found);
    }

    [Fact]
    public void Parse_TruncatedMultiByteSequenceAtTheEndIsInvalid()
    {
        byte[] content = [.. "title: \u00e9"u8, 0xE2, 0x82];   // the first two bytes of "€"

        var error = Assert.Single(TestStories.Errors(content));

        Assert.Equal("kitchen.yaml:1:9: expected UTF-8 text, found byte 0xE2 at byte offset 9 (not valid UTF-8; save the file as UTF-8)", error.ToString());
    }

    [Fact]
    public void Parse_Utf16FileIsNotUtf8()
    {
        byte[] content = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("title: T\n")).ToArray();

        var error = Assert.Single(TestStories.Errors(content));

        Assert.Equal("UTF-8 text", error.Expected);
        Assert.StartsWith("byte 0xFF at byte offset 0", error.Found);
    }

    [Fact]
    public void Parse_NulByteIsRejectedWithItsPosition()
    {
        byte[] content = [.. "title: T\nscenes:\n  - text: Tom"u8, 0x00, .. " runs\n"u8];

        var error = Assert.Single(TestStories.Errors(content));

        Assert.Equal("kitchen.yaml:3:14: expected text without NUL bytes, found a NUL byte at byte offset 30", error.ToString());
    }

    [Theory]
    [InlineData('\u0007')]
    [InlineData('\u001B')]   // ESC: would start a terminal escape sequence if echoed
    [InlineData('\u007F')]
    [InlineData('\u0085')]
    public void Parse_RawControlCharactersAreRejected(char control)
    {
        var error = TestStories.SingleError($"title: T\nscenes:\n  - text: Tom{control}runs\n");

        Assert.Equal($"kitchen.yaml:3:14: expected printable text, found control character U+{(int)control:X4}", error.ToString());
    }

    [Fact]
    public void Parse_ColumnsCountCharactersNotBytesOrUtf16Units()
    {
        // "😀" is 4 UTF-8 bytes and 2 UTF-16 units, but one character in either format.
        var yaml = TestStories.SingleError("title: T\nscenes: [{text: A}]\n😀é😀: \"\"\n");
        var json = TestStories.SingleError("{\"title\": \"T\", \"scenes\": [{\"text\": \"A\"}],\n\"😀é😀\": \"\"}");

        Assert.Equal((3, 1), (yaml.Line!.Value, yaml.Column!.Value));
        Assert.Equal((2, 1), (json.Line!.Value, json.Column!.Value));
        var yamlValue = TestStories.SingleError("title: T\nscenes: [{text: \"😀é😀\"}, {text: \"\"}]\n");
        var jsonValue = TestStories.SingleError("{\"title\": \"T\",\n\"scenes\": [{\"text\": \"😀é😀\"}, {\"text\": \"\"}]}");
        Assert.Equal(32, yamlValue.Column);   // scenes: [{text: "😀é😀"}, {text: ""}]
        Assert.Equal(38, jsonValue.Column);   // "scenes": [{"text": "😀é😀"}, {"text": ""}]
    }

    [Fact]
    public void Parse_ErrorMessagesEscapeWhatTheFileSays()
    {
        // A field name built from escapes (bidi override, ESC) must not reach a terminal raw.
        var error = TestStories.SingleError("title: T\nscenes: [{text: A}]\n\"evil\\u202E\\e[31m\": 1\n");

        Assert.Equal("evil\\u202E\\u001B[31m", error.Field);
        Assert.Contains("unknown field \"evil\\u202E\\u001B[31m\"", error.Found);
        Assert.DoesNotContain(error.ToString(), c => char.IsControl(c) || c == '\u202E');
    }

    [Fact]
    public void Parse_LongValuesAreShortenedInMessages()
    {
        var error = TestStories.SingleError($"title: T\nseed: \"{new string('9', 5000)}\"\nscenes: [{{text: A}}]\n");

        Assert.Equal($"\"{new string('9', 40)}...\" (5000 characters)", error.Found);
    }

    [Fact]
    public void Parse_LoneSurrogateFromAJsonEscapeIsRejected()
    {
        var error = TestStories.SingleError("{\"title\": \"T\", \"scenes\": [{\"text\": \"Tom \\ud800 runs\"}]}");

        Assert.Equal("scenes[0].text", error.Field);
        Assert.Equal("a string of valid Unicode", error.Expected);
    }
}
