namespace TttCluster.Stories.Tests;

public class StoryErrorTests
{
    [Fact]
    public void ToString_ReadsSourceLineColumnFieldExpectedFound()
    {
        var error = new StoryError("kitchen.yaml", 7, 5, "scenes[1].text", "a non-empty string", "\"\"");

        Assert.Equal("kitchen.yaml:7:5: scenes[1].text: expected a non-empty string, found \"\"", error.ToString());
    }

    [Fact]
    public void ToString_LeavesOutWhatIsNotKnown()
    {
        Assert.Equal("k.yaml: expected a readable story file, found no such file",
            new StoryError("k.yaml", null, null, "", "a readable story file", "no such file").ToString());
        Assert.Equal("k.yaml:3: expected X, found Y", new StoryError("k.yaml", 3, null, "", "X", "Y").ToString());
    }

    [Fact]
    public void Exception_MessageIsOneErrorPerLine()
    {
        var e = Assert.Throws<StoryValidationException>(() => TestStories.Parse("title: \"\"\nscenes: []\n"));

        Assert.Equal(
            "kitchen.yaml:1:8: title: expected a non-empty string, found \"\"\n" +
            "kitchen.yaml:2:9: scenes: expected a list of 1 to 4 scenes, found an empty list", e.Message);
        Assert.Equal(0, e.OmittedErrorCount);
    }

    [Fact]
    public void Exception_ListsAtMostMaxErrors()
    {
        var limits = TestStories.Limits with { MaxErrors = 3 };
        var e = Assert.Throws<StoryValidationException>(() =>
            TestStories.Parse("a: 1\nb: 2\nc: 3\nd: 4\ne: 5\ntitle: T\nscenes: [{text: A}]\n", limits));

        Assert.Equal(3, e.Errors.Count);
        Assert.Equal(2, e.OmittedErrorCount);
        Assert.EndsWith("\n... and 2 more problems", e.Message);
    }
}
