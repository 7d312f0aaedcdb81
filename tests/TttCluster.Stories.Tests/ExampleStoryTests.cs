namespace TttCluster.Stories.Tests;

/// <summary>The stories in examples/ are what users copy: they must parse with realistic limits.</summary>
public class ExampleStoryTests
{
    /// <summary>CogVideoX-sized limits: 32 segments, 226 T5 tokens (words are a generous stand-in here).</summary>
    private static readonly StoryLimits ModelLimits = new(MaxScenes: 32, MaxTextTokens: 226, CountTokens: TestStories.CountWords);

    private static string ExamplePath(string name) => Path.Combine(AppContext.BaseDirectory, "examples", name);

    [Fact]
    public void KitchenChaseYaml_IsTheTwoSceneStoryWithSeedAndSteps()
    {
        var story = StoryParser.ParseFile(ExamplePath("kitchen-chase.yaml"), ModelLimits);

        Assert.Equal("Kitchen chase", story.Title);
        Assert.Equal(42UL, story.Seed);
        Assert.Equal(new StorySettings(Steps: 20, Guidance: 4.0), story.Settings);
        Assert.Equal(2, story.Scenes.Count);
        Assert.Equal("blurry", story.Scenes[0].NegativeText);
        Assert.StartsWith("Jerry rings the doorbell", story.Scenes[1].Text);
    }

    [Fact]
    public void KitchenChaseJson_IsTheSameStoryAsTheYaml()
    {
        var yaml = StoryParser.ParseFile(ExamplePath("kitchen-chase.yaml"), ModelLimits);
        var json = StoryParser.ParseFile(ExamplePath("kitchen-chase.json"), ModelLimits);

        Assert.Equal(yaml with { Scenes = [] }, json with { Scenes = [] });
        Assert.Equal(yaml.Scenes, json.Scenes);
    }

    [Fact]
    public void OneMinute_IsTwentyShortScenesWithDefaultSettings()
    {
        var story = StoryParser.ParseFile(ExamplePath("one-minute.yaml"), ModelLimits);

        Assert.Equal(20, story.Scenes.Count);   // 20 × 3 s = one minute
        Assert.Equal(7UL, story.Seed);
        Assert.Equal(StorySettings.Defaults, story.Settings);
        Assert.All(story.Scenes, scene => Assert.InRange(TestStories.CountWords(scene.Text), 5, 30));
        Assert.All(story.Scenes, scene => Assert.Null(scene.NegativeText));
    }
}
