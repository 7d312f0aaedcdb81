namespace TttCluster.Storage.Tests;

public sealed class BlobNamesTests
{
    [Fact]
    public void NamesOfTheFarmAreAccepted()
    {
        foreach (string name in new[] { "videos/story-1.mp4", "checkpoints/s_1/000120", "a", ".hidden", "a/..b/c..", "x" + new string('y', 511) })
        {
            BlobNames.Check(name);
            Assert.True(BlobNames.IsValid(name), name);
        }
    }

    [Fact]
    public void MessageSaysWhatTheNameIsFor()
    {
        var error = Assert.Throws<ArgumentException>(() => BlobNames.Check("a//b", "checkpoint folder"));

        Assert.StartsWith("The checkpoint folder \"a//b\" is refused: it has an empty segment", error.Message);
    }

    [Fact]
    public void NullIsRefused()
    {
        Assert.Throws<ArgumentNullException>(() => BlobNames.Check(null!));
        Assert.False(BlobNames.IsValid(null));
    }

    [Fact]
    public void ShowEscapesQuotesBackslashesAndInvisibleCharacters()
    {
        Assert.Equal("\"a\\\\b\\\"c\\u0000\\u202E\"", BlobNames.Show("a\\b\"c\0\u202E"));
    }
}
