using System.Text;

namespace TttCluster.Stories.Tests;

public class StoryParserTests
{
    [Fact]
    public void Parse_ReadsEveryFieldOfAValidStory()
    {
        var story = TestStories.Parse(TestStories.Valid);

        Assert.Equal("Kitchen chase", story.Title);
        Assert.Equal(42UL, story.Seed);
        Assert.Equal(new StorySettings(Steps: 20, Guidance: 4.0), story.Settings);
        Assert.Equal(2, story.Scenes.Count);
        Assert.Equal(new Scene("Tom eats an apple pie at the kitchen table.", "blurry"), story.Scenes[0]);
        Assert.Equal(new Scene("Jerry rings the doorbell; Tom goes to open the door."), story.Scenes[1]);
    }

    [Fact]
    public void Parse_JsonGivesTheSameStoryAsYaml()
    {
        const string json = """
            {
              "title": "Kitchen chase",
              "seed": 42,
              "settings": { "steps": 20, "guidance": 4.0 },
              "scenes": [
                { "text": "Tom eats an apple pie at the kitchen table.", "negative_text": "blurry" },
                { "text": "Jerry rings the doorbell; Tom goes to open the door." }
              ]
            }
            """;
        var fromYaml = TestStories.Parse(TestStories.Valid);
        var fromJson = TestStories.Parse(json);

        Assert.Equal(fromYaml with { Scenes = [] }, fromJson with { Scenes = [] });
        Assert.Equal(fromYaml.Scenes, fromJson.Scenes);
    }

    [Fact]
    public void Parse_OptionalFieldsDefaultToNull()
    {
        var story = TestStories.Parse("title: T\nscenes:\n  - text: A cat runs.\n");

        Assert.Null(story.Seed);
        Assert.Equal(StorySettings.Defaults, story.Settings);
        Assert.Equal(new StorySettings(null, null, null), story.Settings);
        Assert.Null(story.Scenes[0].NegativeText);
    }

    [Fact]
    public void Parse_ExplicitNullsAndBlankNegativeTextMeanNotGiven()
    {
        var story = TestStories.Parse("title: T\nseed:\nsettings: ~\nscenes:\n  - text: A cat runs.\n    negative_text: \"  \"\n  - text: B\n    negative_text: null\n");

        Assert.Null(story.Seed);
        Assert.Equal(StorySettings.Defaults, story.Settings);
        Assert.All(story.Scenes, scene => Assert.Null(scene.NegativeText));
    }

    [Fact]
    public void Parse_TrimsTitleAndTexts()
    {
        var story = TestStories.Parse("title: '  Kitchen chase  '\nscenes:\n  - text: |\n      Tom runs.\n      Jerry hides.\n");

        Assert.Equal("Kitchen chase", story.Title);
        Assert.Equal("Tom runs.\nJerry hides.", story.Scenes[0].Text);
    }

    [Theory]
    [InlineData("seed: 0", 0UL)]
    [InlineData("seed: 18446744073709551615", ulong.MaxValue)]
    [InlineData("seed: 0x2A", 42UL)]
    [InlineData("seed: 0o52", 42UL)]
    [InlineData("seed: +42", 42UL)]
    public void Parse_SeedTakesEveryUnsigned64BitInteger(string line, ulong expected)
    {
        Assert.Equal(expected, TestStories.Parse($"title: T\n{line}\nscenes: [{{text: A}}]\n").Seed);
    }

    [Theory]
    [InlineData("guidance: 0", 0.0, null)]
    [InlineData("guidance: 30", 30.0, null)]
    [InlineData("guidance: 7.5", 7.5, null)]
    [InlineData("guidance: 1e1", 10.0, null)]
    [InlineData("guidance_power: 5", null, 5.0)]
    [InlineData("guidance: 6, guidance_power: .5", 6.0, 0.5)]
    public void Parse_GuidanceTakesNumbersInRange(string setting, double? guidance, double? power)
    {
        var settings = TestStories.Parse($"title: T\nsettings: {{ {setting} }}\nscenes: [{{text: A}}]\n").Settings;
        Assert.Equal(new StorySettings(null, guidance, power), settings);
    }

    [Fact]
    public void Parse_AcceptsUtf8BomAndCrLfLineEnds()
    {
        byte[] content = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(TestStories.Valid.ReplaceLineEndings("\r\n"))];

        var story = StoryParser.Parse(content, "bom.yaml", TestStories.Limits);

        Assert.Equal("Kitchen chase", story.Title);
        Assert.Equal(2, story.Scenes.Count);
    }

    [Fact]
    public void Parse_AcceptsBomBeforeJson()
    {
        byte[] content = [0xEF, 0xBB, 0xBF, .. """{"title": "T", "scenes": [{"text": "A"}]}"""u8];
        Assert.Equal("T", StoryParser.Parse(content, "bom.json", TestStories.Limits).Title);
    }

    [Fact]
    public void Parse_AcceptsExactlyTheLimits()
    {
        string twelveWords = string.Join(' ', Enumerable.Repeat("word", 12));
        string scenes = string.Concat(Enumerable.Repeat($"  - text: {twelveWords}\n    negative_text: {twelveWords}\n", 4));
        var story = TestStories.Parse($"title: {new string('t', 200)}\nsettings: {{steps: 200}}\nscenes:\n{scenes}");

        Assert.Equal(4, story.Scenes.Count);
        Assert.Equal(200, story.Settings.Steps);
    }

    [Fact]
    public void Parse_TitleLengthCountsCharactersNotUtf16Units()
    {
        string emoji = string.Concat(Enumerable.Repeat("😀", 200));   // 400 UTF-16 units
        Assert.Equal(emoji, TestStories.Parse($"title: {emoji}\nscenes: [{{text: A}}]\n").Title);
    }

    [Fact]
    public void Parse_PassesTheTrimmedTextToTheTokenCounter()
    {
        var counted = new List<string>();
        var limits = TestStories.Limits with { CountTokens = text => { counted.Add(text); return 1; } };

        TestStories.Parse("title: T\nscenes:\n  - text: '  a b  '\n    negative_text: ' c '\n", limits);

        Assert.Equal(["a b", "c"], counted);
    }

    [Fact]
    public void Parse_RejectsLimitsThatMakeNoSense()
    {
        var limits = TestStories.Limits with { MaxScenes = 0 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TestStories.Parse(TestStories.Valid, limits));
        Assert.Contains("MaxScenes", e.Message);
    }
}
