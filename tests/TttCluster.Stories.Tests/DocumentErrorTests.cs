using System.Diagnostics;
using System.Text;

namespace TttCluster.Stories.Tests;

/// <summary>The file as a whole: empty, several documents, not a mapping, too big, and files built to exhaust a parser.</summary>
public class DocumentErrorTests
{
    /// <summary>Each hostile file is parsed in a few milliseconds; this only catches a hang or an exponential blow-up.</summary>
    private static readonly TimeSpan HostileFileTimeLimit = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("# only a comment\n")]
    public void Parse_EmptyFileIsRejected(string text)
    {
        var error = TestStories.SingleError(text);

        Assert.Equal("kitchen.yaml: expected a story: a mapping with title and scenes, found an empty file (only whitespace or comments)", error.ToString());
    }

    [Fact]
    public void Parse_EmptyByteArrayIsRejected()
    {
        Assert.Contains("an empty file", Assert.Single(TestStories.Errors([])).Found);
    }

    [Theory]
    [InlineData("- text: A\n", "a list of 1 item")]
    [InlineData("Tom runs.\n", "\"Tom runs.\"")]
    [InlineData("42\n", "42")]
    [InlineData("---\n", "an empty value")]
    [InlineData("[1, 2]", "a list of 2 items")]
    public void Parse_TopLevelThatIsNotAMappingIsRejected(string text, string found)
    {
        var error = TestStories.SingleError(text);

        Assert.Equal("", error.Field);
        Assert.Equal("a story: a mapping with the fields title and scenes (and optionally seed, settings)", error.Expected);
        Assert.Equal(found, error.Found);
    }

    [Fact]
    public void Parse_SecondDocumentIsRejected()
    {
        var errors = TestStories.Errors(TestStories.Valid + "\n---\ntitle: Another\nscenes: [{text: B}]\n");

        var error = Assert.Single(errors);
        Assert.Equal(8, error.Line);
        Assert.Equal("one YAML document per story file", error.Expected);
        Assert.StartsWith("a second document", error.Found);
    }

    [Fact]
    public void Parse_LeadingDocumentMarkerAndEndMarkerAreFine()
    {
        Assert.Equal("T", TestStories.Parse("---\ntitle: T\nscenes: [{text: A}]\n...\n").Title);
    }

    [Fact]
    public void Parse_TheFirstAnchorOrAliasIsTheOnlyLine()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - &first\n    text: A\n  - *first\n");

        Assert.Equal("kitchen.yaml:3:5: scenes[0]: expected no anchors or aliases (they are not supported, and a story never needs them: " +
                     "write the value out), found anchor &first", error.ToString());
    }

    [Fact]
    public void Parse_AnAliasAloneIsRefusedToo()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - text: *nothing\n");

        Assert.Equal((3, 11), (error.Line, error.Column));
        Assert.Equal("alias *nothing", error.Found);
    }

    [Fact]
    public void Parse_BillionLaughsIsRefusedInOneLineWithoutExpanding()
    {
        // Ten levels of ten aliases each: 10^10 strings if a parser expanded them; 11 anchors and 100 aliases in all.
        var bomb = new StringBuilder("a0: &a0 [\"lol\"]\n");
        for (int level = 1; level <= 10; level++)
            bomb.Append($"a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))}]\n");
        bomb.Append("title: T\nscenes: [{text: A}]\n");

        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<StoryValidationException>(() => TestStories.Parse(bomb.ToString()));

        Assert.True(watch.Elapsed < HostileFileTimeLimit, $"took {watch.Elapsed}");
        var error = Assert.Single(e.Errors);
        Assert.Equal(0, e.OmittedErrorCount);
        Assert.Equal(("anchor &a0", 1, 5), (error.Found, error.Line, error.Column));
        Assert.DoesNotContain('\n', e.Message.TrimEnd());
    }

    [Fact]
    public void Parse_TagsAreRejected()
    {
        var error = TestStories.SingleError("title: !!str T\nscenes: [{text: A}]\n");

        Assert.Equal("kitchen.yaml:1:8: title: expected no tags (quote a value to make it a string), found tag tag:yaml.org,2002:str", error.ToString());
    }

    [Theory]
    [InlineData("yaml")]
    [InlineData("json")]
    public void Parse_DeepNestingStopsAtTheDepthLimit(string format)
    {
        const int depth = 100_000;
        string text = format == "json"
            ? "{\"title\": " + new string('[', depth) + new string(']', depth) + "}"
            : "title: " + new string('[', depth) + new string(']', depth) + "\n";

        var watch = Stopwatch.StartNew();
        var error = TestStories.SingleError(text);

        Assert.True(watch.Elapsed < HostileFileTimeLimit, $"took {watch.Elapsed}");
        Assert.Equal("at most 16 levels of nested lists and mappings", error.Expected);
        Assert.Equal("deeper nesting", error.Found);
        Assert.Equal(1, error.Line);
        Assert.Equal(23 + (format == "json" ? 3 : 0), error.Column);   // level 17: the 16th '[', inside the root mapping
        Assert.Equal("title" + string.Concat(Enumerable.Repeat("[0]", 15)), error.Field);
    }

    [Fact]
    public void Parse_DeepBlockNestingStopsAtTheDepthLimit()
    {
        string text = "title: T\nscenes:\n" + string.Concat(Enumerable.Range(1, 40).Select(i => new string(' ', 2 * i) + "- \n"));

        Assert.Equal("deeper nesting", Assert.Single(TestStories.Errors(text)).Found);
    }

    [Theory]
    [InlineData("yaml")]
    [InlineData("json")]
    public void Parse_NodeCountIsBounded(string format)
    {
        var limits = TestStories.Limits with { MaxNodes = 1000 };
        string items = string.Join(", ", Enumerable.Repeat("1", 2000));
        string text = format == "json" ? $"{{\"title\": [{items}]}}" : $"title: [{items}]\n";

        var error = TestStories.SingleError(text, limits);

        Assert.Equal("at most 1000 values in one story file", error.Expected);
        Assert.Equal("title[997]", error.Field);   // root mapping, the key, the list, then 997 items
    }

    [Theory]
    [InlineData("\"k{0}\": 0")]                 // unknown fields
    [InlineData("\"a\": 0")]                     // duplicate keys
    [InlineData("\"scenes\": [{{\"text\": 1}}]")]   // a wrong value far along the line
    public void Parse_OneLineFileWithThousandsOfProblemsIsQuick(string field)
    {
        // Locating a problem on a megabyte-long line costs the line's length; only the listed ones may pay it.
        string json = "{" + string.Join(", ", Enumerable.Range(0, 40_000).Select(i => string.Format(field, i))) + "}";
        var watch = Stopwatch.StartNew();

        var e = Assert.Throws<StoryValidationException>(() => TestStories.Parse(json));

        Assert.True(watch.Elapsed < HostileFileTimeLimit, $"took {watch.Elapsed}");
        Assert.Equal(TestStories.Limits.MaxErrors, e.Errors.Count);
        Assert.True(e.OmittedErrorCount > 10_000, $"{e.OmittedErrorCount} omitted");
    }

    [Fact]
    public void Parse_FileOverTheSizeLimitIsRejectedBeforeParsing()
    {
        byte[] big = Encoding.UTF8.GetBytes("title: T\nscenes: [{text: A}]\n# " + new string('x', 1 << 20));

        var error = Assert.Single(TestStories.Errors(big));

        Assert.Equal($"kitchen.yaml: expected a file of at most 1048576 bytes, found {big.Length} bytes", error.ToString());
        Assert.Null(error.Line);
    }

    [Theory]
    [InlineData("title: \"" + "a")]
    [InlineData("title: [")]
    [InlineData("? ? ? ? ? ? ? ? ? ?")]
    [InlineData("{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{")]
    [InlineData("- - - - - - - - - - - - - - - - - - - - - -")]
    public void Parse_PathologicalInputsEndInAValidationErrorQuickly(string seed)
    {
        string text = seed + new string(seed[^1], 200_000);
        var watch = Stopwatch.StartNew();

        Assert.Throws<StoryValidationException>(() => TestStories.Parse(text));
        Assert.True(watch.Elapsed < HostileFileTimeLimit, $"took {watch.Elapsed}");
    }
}
