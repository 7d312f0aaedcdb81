namespace TttCluster.Stories.Tests;

public class SceneErrorTests
{
    [Fact]
    public void Parse_MissingScenesNamesTheField()
    {
        var error = TestStories.SingleError("title: T\nseed: 1\n");

        Assert.Equal("kitchen.yaml:1:1: scenes: expected a list of 1 to 4 scenes, found nothing (the field is missing)", error.ToString());
    }

    [Theory]
    [InlineData("scenes: []", "an empty list")]
    [InlineData("scenes:", "an empty value")]
    [InlineData("scenes: null", "null")]
    [InlineData("scenes: Tom runs", "\"Tom runs\"")]
    [InlineData("scenes: {text: A}", "a mapping")]
    public void Parse_ScenesThatAreNotANonEmptyListAreRejected(string line, string found)
    {
        var error = TestStories.SingleError($"title: T\n{line}\n");

        Assert.Equal("scenes", error.Field);
        Assert.Equal(2, error.Line);
        Assert.Equal("a list of 1 to 4 scenes", error.Expected);
        Assert.Equal(found, error.Found);
    }

    [Fact]
    public void Parse_TooManyScenesSaysHowManyOfHowMany()
    {
        string scenes = string.Concat(Enumerable.Range(0, 6).Select(i => $"  - text: Scene {i}\n"));
        var error = TestStories.SingleError($"title: T\nscenes:\n{scenes}");

        Assert.Equal("kitchen.yaml:3:3: scenes: expected at most 4 scenes, found 6 scenes", error.ToString());
    }

    [Fact]
    public void Parse_EmptyTextIsReportedWithFieldPathAndLine()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - text: A cat\n  - text: \"\"\n");

        Assert.Equal("kitchen.yaml:4:11: scenes[1].text: expected a non-empty string, found \"\"", error.ToString());
    }

    [Theory]
    [InlineData("text: \"   \"", "\"   \"")]
    [InlineData("text: \"\\t\\n\"", "\"\\t\\n\"")]
    [InlineData("text:", "an empty value")]
    [InlineData("text: 42", "42 (a number; put it in quotes if it is text)")]
    [InlineData("text: 4.5", "4.5 (a number; put it in quotes if it is text)")]
    [InlineData("text: true", "true (a boolean; put it in quotes if it is text)")]
    [InlineData("text: [Tom, Jerry]", "a list of 2 items")]
    [InlineData("text: {who: Tom}", "a mapping")]
    public void Parse_TextMustBeANonEmptyString(string field, string found)
    {
        var error = TestStories.SingleError($"title: T\nscenes:\n  - {field}\n");

        Assert.Equal("scenes[0].text", error.Field);
        Assert.Equal(3, error.Line);
        Assert.Equal(field == "text:" ? 5 : 11, error.Column);   // the value, or the key when the value is empty
        Assert.Equal("a non-empty string", error.Expected);
        Assert.Equal(found, error.Found);
    }

    [Fact]
    public void Parse_SceneWithoutTextSaysTheFieldIsMissing()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - negative_text: blurry\n");

        Assert.Equal("kitchen.yaml:3:5: scenes[0].text: expected a non-empty string, found nothing (the field is missing)", error.ToString());
    }

    [Fact]
    public void Parse_SceneThatIsNotAMappingIsRejected()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - Tom runs.\n");

        Assert.Equal("scenes[0]", error.Field);
        Assert.StartsWith("a scene: a mapping with the field text", error.Expected);
        Assert.Equal("\"Tom runs.\"", error.Found);
    }

    [Fact]
    public void Parse_TooManyTokensInTextOrNegativeTextGivesBothCounts()
    {
        string thirteen = string.Join(' ', Enumerable.Repeat("word", 13));
        var errors = TestStories.Errors($"title: T\nscenes:\n  - text: ok\n  - text: {thirteen}\n  - text: ok\n    negative_text: {thirteen} more\n");

        Assert.Equal(2, errors.Count);
        Assert.Equal("kitchen.yaml:4:11: scenes[1].text: expected at most 12 tokens, found 13 tokens", errors[0].ToString());
        Assert.Equal("kitchen.yaml:6:20: scenes[2].negative_text: expected at most 12 tokens, found 14 tokens", errors[1].ToString());
    }

    [Fact]
    public void Parse_NegativeTextOfTheWrongTypeIsRejected()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - text: A\n  - text: B\n  - text: C\n    negative_text: [blurry]\n");

        Assert.Equal("kitchen.yaml:6:20: scenes[2].negative_text: expected a non-empty string, found a list of 1 item", error.ToString());
    }

    [Fact]
    public void Parse_ReportsEveryBadSceneNotJustTheFirst()
    {
        string scenes = string.Concat(Enumerable.Range(0, 6).Select(i => "  - text: \"\"\n"));
        var errors = TestStories.Errors($"title: T\nscenes:\n{scenes}");

        Assert.Equal(7, errors.Count);   // too many scenes, then each of the six
        Assert.Equal("scenes", errors[0].Field);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"scenes[{i}].text"), errors.Skip(1).Select(e => e.Field));
        Assert.Equal(Enumerable.Range(3, 6), errors.Skip(1).Select(e => e.Line!.Value));
    }

    [Fact]
    public void Parse_ControlCharactersFromEscapesAreRejectedInText()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - text: \"Tom\\0runs\"\n");

        Assert.Equal("kitchen.yaml:3:11: scenes[0].text: expected printable text, found control character U+0000", error.ToString());
    }
}
