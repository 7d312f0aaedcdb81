namespace TttCluster.Stories.Tests;

public sealed class StoryFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ttt-story-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ParseFile_ErrorsNameThePathAsGiven()
    {
        string path = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(path, "title: T\nscenes: []\n");

        var e = Assert.Throws<StoryValidationException>(() => StoryParser.ParseFile(path, TestStories.Limits));

        Assert.Equal($"{path}:2:9: scenes: expected a list of 1 to 4 scenes, found an empty list", e.Message);
    }

    [Fact]
    public void ParseFile_MissingFileIsAStoryError()
    {
        string path = Path.Combine(_dir, "nope.yaml");

        var error = Assert.Single(Assert.Throws<StoryValidationException>(() => StoryParser.ParseFile(path, TestStories.Limits)).Errors);

        Assert.Equal($"{path}: expected a readable story file, found no such file", error.ToString());
    }

    [Fact]
    public void ParseFile_DirectoryIsAStoryError()
    {
        var error = Assert.Single(Assert.Throws<StoryValidationException>(() => StoryParser.ParseFile(_dir, TestStories.Limits)).Errors);

        Assert.Equal("a directory", error.Found);
    }

    [Fact]
    public void ParseFile_TooBigFileIsRejectedWithItsSizeWithoutReadingIt()
    {
        string path = Path.Combine(_dir, "big.yaml");
        using (var file = File.Create(path))
            file.SetLength(3L << 30);   // sparse: 3 GiB on paper, nothing on disk

        var error = Assert.Single(Assert.Throws<StoryValidationException>(() => StoryParser.ParseFile(path, TestStories.Limits)).Errors);

        Assert.Equal($"{path}: expected a file of at most 1048576 bytes, found 3221225472 bytes", error.ToString());
    }

    [Fact]
    public void ParseFile_EndlessDeviceIsReadOnlyUpToTheLimit()
    {
        if (!File.Exists("/dev/zero"))
            return;   // not a Unix machine
        var error = Assert.Single(Assert.Throws<StoryValidationException>(() => StoryParser.ParseFile("/dev/zero", TestStories.Limits)).Errors);

        Assert.Equal("a file of at most 1048576 bytes", error.Expected);
    }
}
