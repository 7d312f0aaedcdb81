namespace TttCluster.Stories.Tests;

public class SyntaxErrorTests
{
    [Fact]
    public void Parse_UnterminatedQuoteGivesTheParsersPositionAndMessage()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - text: \"Tom runs\n");

        Assert.Equal("kitchen.yaml:3:11: expected valid YAML, found a syntax error (while scanning a quoted scalar, found unexpected end of stream)",
            error.ToString());
    }

    [Fact]
    public void Parse_BadIndentationIsASyntaxError()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - text: A\n negative_text: B\n");

        Assert.Equal(4, error.Line);
        Assert.Equal("valid YAML", error.Expected);
        Assert.StartsWith("a syntax error (", error.Found);
    }

    [Fact]
    public void Parse_TabIndentationIsASyntaxError()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n\t- text: A\n");

        Assert.Equal("valid YAML", error.Expected);
        Assert.Contains("tab", error.Found);
    }

    [Fact]
    public void Parse_UnclosedFlowListIsASyntaxErrorNotACrash()
    {
        // YamlDotNet 16.3 throws InvalidOperationException here; it must come out as a story error.
        var error = TestStories.SingleError("title: T\nscenes: [{text: A}\nseed: 3\n");

        Assert.Equal("valid YAML", error.Expected);
        Assert.Equal(3, error.Line);
    }

    [Theory]
    [InlineData("title: T\n? : 42\nscenes: [{text: A}]\n", 2)]
    [InlineData("scenes:\n  - - : x\n", 2)]
    public void Parse_KeyWithoutValueEventIsASyntaxErrorNotACrash(string yaml, int line)
    {
        // YamlDotNet 16.3 ends these mappings after a key with no value event; found by StoryFuzzTests.
        var error = TestStories.SingleError(yaml);

        Assert.Equal("valid YAML", error.Expected);
        Assert.Equal(line, error.Line);
        Assert.Equal("a syntax error near here (a key without a value)", error.Found);
    }

    [Fact]
    public void Parse_ProblemsBeforeASyntaxErrorAreKept()
    {
        var errors = TestStories.Errors("title: !!str T\nscenes:\n  - text: \"A\n");

        Assert.Equal(["tag tag:yaml.org,2002:str", "a syntax error (while scanning a quoted scalar, found unexpected end of stream)"], errors.Select(e => e.Found));
    }

    [Theory]
    [InlineData("{\"title\": \"T\",\n \"scenes\": [{\"text\": \"A\"}],\n}", 3, 1,
        "another value after ',' (JSON allows no comma before a closing })", "'}'")]                                  // trailing comma
    [InlineData("{\"title\": \"T\", \"scenes\": [{\"text\": \"A\"},]}", 1, 41,
        "another value after ',' (JSON allows no comma before a closing ])", "']'")]                                  // trailing comma in a list
    [InlineData("{\"title\": \"T\",\n \"scenes\": [{\"text\": \"A\"}]\n \"seed\": 1}", 3, 2,
        "',' or a closing bracket after a value", "'\"'")]                                                          // missing comma
    [InlineData("{\"title\": 'T', \"scenes\": []}", 1, 11, "a string in double quotes", "a single quote")]
    [InlineData("{\"title\": \"T\", \"scenes\": [{\"text\": \"A\"}]} {}", 1, 43,
        "the end of the file after the story's one value", "'{'")]                                                   // two values
    [InlineData("{\"title\": \"T\" // comment\n}", 1, 15, "JSON without comments", "a comment")]
    [InlineData("{\"title\": \"T\"", 1, 14,
        "the rest of the story (a value, or a closing } or ] for each one opened)", "the end of the file")]          // cut short
    [InlineData("{title: \"T\"}", 1, 2, "a field name in double quotes, or '}'", "'title'")]                      // unquoted name
    [InlineData("{\"title\" \"T\"}", 1, 10, "':' after a field name", "'\"'")]
    [InlineData("{\"title\": }", 1, 11, "a value after ':'", "'}'")]
    [InlineData("{\"title\": \"a\\\\\", \"scenes\" [1]}", 1, 27, "':' after a field name", "'['")]             // a string ending in a backslash
    public void Parse_MalformedJsonSaysWhatWasExpectedAndFoundInOurWords(string json, int line, int column, string expected, string found)
    {
        var error = TestStories.SingleError(json);

        Assert.Equal((expected, found), (error.Expected, error.Found));
        Assert.Equal((line, column), (error.Line!.Value, error.Column!.Value));
        // None of the JSON reader's own words: it speaks of options, tokens and its internal positions.
        Assert.DoesNotContain("reader options", error.ToString());
        Assert.DoesNotContain("LineNumber", error.ToString());
    }

    [Fact]
    public void Parse_JsonIsDetectedAfterLeadingWhitespaceOnly()
    {
        // A comment first makes it YAML; as YAML flow style this is still a valid story.
        Assert.Equal("T", TestStories.Parse("# story\n{\"title\": \"T\", \"scenes\": [{\"text\": \"A\"}]}").Title);
        Assert.Equal("T", TestStories.Parse("\n\t {\"title\": \"T\", \"scenes\": [{\"text\": \"A\"}]}").Title);
    }
}
