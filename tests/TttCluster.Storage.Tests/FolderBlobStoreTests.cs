using System.Text;

namespace TttCluster.Storage.Tests;

public sealed class FolderBlobStoreTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private readonly FolderBlobStore store;
    private static readonly CancellationToken None = CancellationToken.None;

    public FolderBlobStoreTests() => store = new FolderBlobStore(folder.Path);

    public void Dispose() => folder.Dispose();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task WrittenBlobReadsBackAndLivesAtItsPath()
    {
        await store.WriteAsync("videos/story-1.mp4", Bytes("frames"), None);

        Assert.Equal(Bytes("frames"), await store.ReadAsync("videos/story-1.mp4", None));
        Assert.Equal("frames", File.ReadAllText(Path.Combine(folder.Path, "videos", "story-1.mp4")));
        Assert.Equal(["videos/story-1.mp4"], folder.Files());
    }

    [Fact]
    public async Task WriteReplacesOldContentAndLeavesNoTemporaryFile()
    {
        await store.WriteAsync("checkpoints/s/1", Bytes("a much longer old content"), None);
        await store.WriteAsync("checkpoints/s/1", Bytes("new"), None);

        Assert.Equal(Bytes("new"), await store.ReadAsync("checkpoints/s/1", None));
        Assert.Equal(["checkpoints/s/1"], folder.Files());
    }

    [Fact]
    public async Task ConcurrentWritersOfOneBlobLeaveOneWholeContent()
    {
        string[] contents = Enumerable.Range(0, 20).Select(i => new string((char)('a' + i), 10_000 + i)).ToArray();

        await Task.WhenAll(contents.Select(content => Task.Run(() => store.WriteAsync("race", Bytes(content), None))));

        string final = Encoding.UTF8.GetString((await store.ReadAsync("race", None))!);
        Assert.Contains(final, contents);
        Assert.Equal(["race"], folder.Files());
    }

    [Fact]
    public async Task MissingBlobGivesNull()
    {
        Assert.Null(await store.ReadAsync("nothing/here", None));
        Assert.Null(await store.OpenReadAsync("nothing/here", None));
        Assert.Null(await store.LengthAsync("nothing/here", None));
    }

    [Fact]
    public async Task FolderIsNotABlob()
    {
        await store.WriteAsync("a/b", Bytes("x"), None);

        Assert.Null(await store.ReadAsync("a", None));
        Assert.Null(await store.OpenReadAsync("a", None));
        Assert.Null(await store.LengthAsync("a", None));
    }

    [Fact]
    public async Task OpenReadGivesSeekableStreamOverTheBytes()
    {
        await store.WriteAsync("v.mp4", Bytes("0123456789"), None);

        await using Stream stream = (await store.OpenReadAsync("v.mp4", None))!;
        Assert.True(stream.CanSeek);
        Assert.Equal(10, stream.Length);
        stream.Seek(4, SeekOrigin.Begin);
        var buffer = new byte[3];
        await stream.ReadExactlyAsync(buffer);
        Assert.Equal(Bytes("456"), buffer);
    }

    [Fact]
    public async Task OpenStreamDoesNotBlockReplaceOrDelete()
    {
        await store.WriteAsync("v.mp4", Bytes("old"), None);
        await using Stream stream = (await store.OpenReadAsync("v.mp4", None))!;

        await store.WriteAsync("v.mp4", Bytes("new"), None);
        Assert.Equal(Bytes("new"), await store.ReadAsync("v.mp4", None));
        await store.DeleteAsync("v.mp4", None);
        Assert.Null(await store.ReadAsync("v.mp4", None));
    }

    [Fact]
    public async Task LengthIsTheByteCount()
    {
        await store.WriteAsync("x/y.bin", new byte[1234], None);

        Assert.Equal(1234, await store.LengthAsync("x/y.bin", None));
    }

    [Fact]
    public async Task DeleteRemovesTheBlobAndIgnoresMissingOnes()
    {
        await store.WriteAsync("a/b", Bytes("x"), None);

        await store.DeleteAsync("a/b", None);
        await store.DeleteAsync("a/b", None);
        await store.DeleteAsync("no/such/folder/blob", None);

        Assert.Null(await store.ReadAsync("a/b", None));
        Assert.Empty(folder.Files());
    }

    [Fact]
    public async Task DeleteFolderRemovesOnlyThatPrefix()
    {
        await store.WriteAsync("checkpoints/s1/1", Bytes("1"), None);
        await store.WriteAsync("checkpoints/s1/deep/2", Bytes("2"), None);
        await store.WriteAsync("checkpoints/s10/1", Bytes("3"), None);
        await store.WriteAsync("checkpoints/s1.txt", Bytes("4"), None);
        await store.WriteAsync("other/s1/1", Bytes("5"), None);

        await store.DeleteFolderAsync("checkpoints/s1", None);
        await store.DeleteFolderAsync("checkpoints/never-written", None);

        Assert.Equal(["checkpoints/s1.txt", "checkpoints/s10/1", "other/s1/1"], folder.Files());
    }

    [Fact]
    public async Task DeleteFolderKeepsABlobNamedLikeThePrefix()
    {
        await store.WriteAsync("story", Bytes("blob"), None);

        await store.DeleteFolderAsync("story", None);

        Assert.Equal(Bytes("blob"), await store.ReadAsync("story", None));
    }

    [Fact]
    public async Task UploadFileCopiesTheFile()
    {
        string source = Path.Combine(folder.Path, "rendered.mp4");
        File.WriteAllBytes(source, Bytes("rendered video"));

        await store.UploadFileAsync("videos/s.mp4", source, None);
        await store.UploadFileAsync("videos/s.mp4", source, None);

        Assert.Equal(Bytes("rendered video"), await store.ReadAsync("videos/s.mp4", None));
        Assert.Equal(["rendered.mp4", "videos/s.mp4"], folder.Files());
    }

    [Fact]
    public async Task UploadOfMissingFileFailsAndLeavesNothing()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(
            () => store.UploadFileAsync("videos/s.mp4", Path.Combine(folder.Path, "missing.mp4"), None));

        Assert.Empty(folder.Files());
    }

    [Theory]
    [InlineData("")]
    [InlineData("/abs")]
    [InlineData("a/../b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("./a")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("a\\b")]
    [InlineData("a b")]
    [InlineData("a\nb")]
    [InlineData("C:x")]
    [InlineData("vidéo")]
    public async Task BadNamesAreRefusedWithTheNameInTheMessage(string name)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(name, Bytes("x"), None));

        Assert.Contains(BlobNames.Show(name), error.Message);
        Assert.Contains("expected a relative path", error.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAsync(name, None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(name, None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.LengthAsync(name, None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync(name, None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteFolderAsync(name, None));
        Assert.Empty(folder.Files());
    }

    [Fact]
    public async Task ControlCharactersInARefusedNameAreEscaped()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync("bad\nname\u001b[31m", Bytes("x"), None));

        Assert.Contains("\"bad\\u000Aname\\u001B[31m\"", error.Message);
        Assert.DoesNotContain("\n", error.Message);
        Assert.DoesNotContain("\u001b", error.Message);
    }

    [Fact]
    public async Task OverlongNameIsRefusedAndShownShortened()
    {
        string name = new string('x', 80) + new string('y', 520);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(name, Bytes("x"), None));

        Assert.Contains("\"" + new string('x', 80) + "\"", error.Message);
        Assert.DoesNotContain("y", error.Message.Split("characters in all")[0]);
        Assert.Contains("600 characters", error.Message);
    }

    [Fact]
    public async Task TemporaryFileNamesAreNotBlobNames()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAsync("a/.b.0123.tmp", None));

        Assert.Contains("\"a/.b.0123.tmp\"", error.Message);
    }

    [Fact]
    public async Task WriteUnderAFileFailsAndLeavesNoTemporaryFile()
    {
        await store.WriteAsync("story", Bytes("a blob, not a folder"), None);

        await Assert.ThrowsAnyAsync<IOException>(() => store.WriteAsync("story/1", Bytes("x"), None));

        Assert.Equal(["story"], folder.Files());
    }

    [Fact]
    public async Task WriteOverAFolderFailsAndLeavesNoTemporaryFile()
    {
        // The temporary file gets written, then the rename onto the folder fails: the temporary file must go.
        await store.WriteAsync("story/1", Bytes("x"), None);

        await Assert.ThrowsAnyAsync<IOException>(() => store.WriteAsync("story", Bytes("y"), None));

        Assert.Equal(["story/1"], folder.Files());
    }

    [Fact]
    public async Task CancelledWriteLeavesOldContentAndNoTemporaryFile()
    {
        await store.WriteAsync("a", Bytes("old"), None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => store.WriteAsync("a", Bytes("new"), new CancellationToken(canceled: true)));

        Assert.Equal(Bytes("old"), await store.ReadAsync("a", None));
        Assert.Equal(["a"], folder.Files());
    }
}
