namespace TttCluster.Stories.Tests;

public class FieldErrorTests
{
    [Fact]
    public void Parse_UnknownSceneFieldListsTheKnownOnesAndSuggestsTheClosest()
    {
        var error = TestStories.SingleError("title: T\nscenes:\n  - txt: Tom runs.\n");

        Assert.Equal("kitchen.yaml:3:5: scenes[0].txt: expected one of the fields text, negative_text, found unknown field \"txt\"; did you mean \"text\"?",
            error.ToString());
    }

    [Theory]
    [InlineData("titel: T", "titel", "\"title\"")]
    [InlineData("scene: []", "scene", "\"scenes\"")]
    [InlineData("Seed: 1", "Seed", "\"seed\"")]
    [InlineData("setings: {}", "setings", "\"settings\"")]
    [InlineData("steps: 20", "steps", null)]
    [InlineData("music: jazz", "music", null)]
    public void Parse_UnknownTopLevelFieldsAreRejectedWithAHintWhenClose(string line, string field, string? suggestion)
    {
        var errors = TestStories.Errors($"title: T\nscenes: [{{text: A}}]\n{line}\n");

        var error = TestStories.ErrorFor(errors, field);
        Assert.Equal(3, error.Line);
        Assert.Equal("one of the fields title, seed, settings, scenes", error.Expected);
        Assert.StartsWith($"unknown field \"{field}\"", error.Found);
        if (suggestion is null)
            Assert.DoesNotContain("did you mean", error.Found);
        else
            Assert.EndsWith($"did you mean {suggestion}?", error.Found);
    }

    [Theory]
    [InlineData("negativeText", "negative_text")]
    [InlineData("negative-text", "negative_text")]
    [InlineData("negative", "negative_text")]
    [InlineData("Text", "text")]
    public void Parse_SuggestionForgivesCaseAndSeparators(string typed, string meant)
    {
        var errors = TestStories.Errors($"title: T\nscenes:\n  - text: A\n    {typed}: x\n");

        Assert.EndsWith($"did you mean \"{meant}\"?", TestStories.ErrorFor(errors, $"scenes[0].{typed}").Found);
    }

    [Fact]
    public void Parse_UnknownSettingsFieldSuggestsTheSetting()
    {
        var error = TestStories.SingleError("title: T\nsettings:\n  guidance_scale: 6\nscenes: [{text: A}]\n");

        Assert.Equal("kitchen.yaml:3:3: settings.guidance_scale: expected one of the fields steps, guidance, guidance_power, " +
            "found unknown field \"guidance_scale\"; did you mean \"guidance\"?", error.ToString());
    }

    [Fact]
    public void Parse_MisspeltRequiredFieldIsReportedOnceNotAlsoAsMissing()
    {
        var errors = TestStories.Errors("titel: T\nscenes:\n  - txt: A\n");

        Assert.Equal(["titel", "scenes[0].txt"], errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData("seed: abc", "seed", "\"abc\"")]
    [InlineData("seed: \"42\"", "seed", "\"42\"")]
    [InlineData("seed: -1", "seed", "-1")]
    [InlineData("seed: 1.5", "seed", "1.5")]
    [InlineData("seed: 18446744073709551616", "seed", "18446744073709551616")]
    [InlineData("seed: [1]", "seed", "a list of 1 item")]
    public void Parse_SeedMustBeAnUnsigned64BitInteger(string line, string field, string found)
    {
        var error = TestStories.SingleError($"title: T\n{line}\nscenes: [{{text: A}}]\n");

        Assert.Equal($"kitchen.yaml:2:7: {field}: expected an integer from 0 to 18446744073709551615, found {found}", error.ToString());
    }

    [Theory]
    [InlineData("steps: 0", "0")]
    [InlineData("steps: 1000", "1000")]
    [InlineData("steps: -5", "-5")]
    [InlineData("steps: 20.0", "20.0")]
    [InlineData("steps: twenty", "\"twenty\"")]
    [InlineData("steps: 99999999999999999999999", "99999999999999999999999")]
    public void Parse_StepsMustBeAnIntegerWithinTheLimit(string setting, string found)
    {
        var error = TestStories.SingleError($"title: T\nsettings:\n  {setting}\nscenes: [{{text: A}}]\n");

        Assert.Equal($"kitchen.yaml:3:10: settings.steps: expected an integer from 1 to 200, found {found}", error.ToString());
    }

    [Theory]
    [InlineData("guidance: high", "settings.guidance", "a number from 0 to 30", "\"high\"")]
    [InlineData("guidance: \"4.0\"", "settings.guidance", "a number from 0 to 30", "\"4.0\"")]
    [InlineData("guidance: .nan", "settings.guidance", "a number from 0 to 30", ".nan")]
    [InlineData("guidance: NaN", "settings.guidance", "a number from 0 to 30", "\"NaN\"")]   // YAML 1.2 spells NaN ".nan"
    [InlineData("guidance: .inf", "settings.guidance", "a number from 0 to 30", ".inf")]
    [InlineData("guidance: -0.5", "settings.guidance", "a number from 0 to 30", "-0.5")]
    [InlineData("guidance: 30.01", "settings.guidance", "a number from 0 to 30", "30.01")]
    [InlineData("guidance: 1e400", "settings.guidance", "a number from 0 to 30", "1e400")]
    [InlineData("guidance_power: 11", "settings.guidance_power", "a number from 0 to 10", "11")]
    [InlineData("guidance_power: yes", "settings.guidance_power", "a number from 0 to 10", "\"yes\"")]
    public void Parse_GuidanceMustBeAFiniteNumberInRange(string setting, string field, string expected, string found)
    {
        var error = TestStories.SingleError($"title: T\nsettings: {{ {setting} }}\nscenes: [{{text: A}}]\n");

        Assert.Equal(field, error.Field);
        Assert.Equal(2, error.Line);
        Assert.Equal(expected, error.Expected);
        Assert.Equal(found, error.Found);
    }

    [Fact]
    public void Parse_GuidanceRangeComesFromTheLimits()
    {
        var limits = TestStories.Limits with { MinGuidance = 1, MaxGuidance = 12.5 };
        var error = TestStories.SingleError("title: T\nsettings: {guidance: 13}\nscenes: [{text: A}]\n", limits);

        Assert.Equal("a number from 1 to 12.5", error.Expected);
    }

    [Fact]
    public void Parse_JsonNaNIsASyntaxErrorAndAStringNaNIsNotANumber()
    {
        var bare = TestStories.SingleError("""{"title": "T", "settings": {"guidance": NaN}, "scenes": [{"text": "A"}]}""");
        var quoted = TestStories.SingleError("""{"title": "T", "settings": {"guidance": "NaN"}, "scenes": [{"text": "A"}]}""");

        Assert.Equal(("a value after ':'", "'NaN'"), (bare.Expected, bare.Found));
        Assert.Equal("kitchen.yaml:1:41: settings.guidance: expected a number from 0 to 30, found \"NaN\"", quoted.ToString());
    }

    [Theory]
    [InlineData("settings: 20", "20")]
    [InlineData("settings: [steps, 20]", "a list of 2 items")]
    public void Parse_SettingsMustBeAMapping(string line, string found)
    {
        var error = TestStories.SingleError($"title: T\n{line}\nscenes: [{{text: A}}]\n");

        Assert.Equal("settings", error.Field);
        Assert.Equal("a mapping with some of the fields steps, guidance, guidance_power", error.Expected);
        Assert.Equal(found, error.Found);
    }

    [Theory]
    [InlineData("title: \"\"", "a non-empty string", "\"\"")]
    [InlineData("title: 1984", "a non-empty string", "1984 (a number; put it in quotes if it is text)")]
    [InlineData("title: \"Tom\\nJerry\"", "a single line of printable text", "control character U+000A")]
    public void Parse_TitleMustBeOneNonEmptyLine(string line, string expected, string found)
    {
        var error = TestStories.SingleError($"{line}\nscenes: [{{text: A}}]\n");

        Assert.Equal($"kitchen.yaml:1:8: title: expected {expected}, found {found}", error.ToString());
    }

    [Fact]
    public void Parse_TitleLongerThan200CharactersIsRejected()
    {
        var error = TestStories.SingleError($"title: {new string('t', 201)}\nscenes: [{{text: A}}]\n");

        Assert.Equal("kitchen.yaml:1:8: title: expected at most 200 characters, found 201 characters", error.ToString());
    }

    [Fact]
    public void Parse_MissingTitleIsReported()
    {
        var error = TestStories.SingleError("scenes: [{text: A}]\n");

        Assert.Equal("kitchen.yaml:1:1: title: expected a non-empty string, found nothing (the field is missing)", error.ToString());
    }

    [Fact]
    public void Parse_DuplicateKeysPointAtTheSecondAndNameTheFirst()
    {
        var errors = TestStories.Errors("title: T\nscenes:\n  - text: A\n    text: B\ntitle: U\n");

        Assert.Equal(2, errors.Count);
        Assert.Equal("kitchen.yaml:4:5: scenes[0].text: expected each field at most once, found \"text\" again (first on line 3)", errors[0].ToString());
        Assert.Equal("kitchen.yaml:5:1: title: expected each field at most once, found \"title\" again (first on line 1)", errors[1].ToString());
    }

    [Fact]
    public void Parse_DuplicateKeysInJsonAreRejectedToo()
    {
        var error = TestStories.SingleError("{\"title\": \"T\",\n \"title\": \"U\", \"scenes\": [{\"text\": \"A\"}]}");

        Assert.Equal("kitchen.yaml:2:2: title: expected each field at most once, found \"title\" again (first on line 1)", error.ToString());
    }

    [Fact]
    public void Parse_ListsProblemsFromAllLevelsInFileOrder()
    {
        var errors = TestStories.Errors("title: \"\"\nseed: abc\nsettings: {steps: 0, guidance: high}\nscenes:\n  - txt: A\n  - text: 5\n");

        Assert.Equal(["title", "seed", "settings.steps", "settings.guidance", "scenes[0].txt", "scenes[1].text"], errors.Select(e => e.Field));
        Assert.Equal([1, 2, 3, 3, 5, 6], errors.Select(e => e.Line!.Value));
    }
}
