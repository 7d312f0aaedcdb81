using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace TttCluster.Storage.Tests;

/// <summary>
/// <see cref="AzureBlobStore"/> against a real Azurite: the folder store's behaviours where they apply, each test in a
/// container of its own.
/// </summary>
public sealed class AzureBlobStoreTests(AzuriteFixture fixture) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string containerName = "test-" + Guid.NewGuid().ToString("N");
    private AzureBlobStore store = null!;

    public async Task InitializeAsync() => store = await NewStoreAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<AzureBlobStore> NewStoreAsync() => AzureBlobStore.CreateAsync(fixture.Azurite.ConnectionString, containerName);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static async Task<string[]> BlobNamesIn(AzureBlobStore store) =>
        (await store.Container.GetBlobsAsync(new GetBlobsOptions(), None).Select(item => item.Name).ToArrayAsync())
            .Order(StringComparer.Ordinal).ToArray();

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    // A store whose every request fails at once (nothing listens on port 1, and no retries), for the failure paths.
    private static AzureBlobStore UnreachableStore() => new(new BlobContainerClient(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;",
        "unreachable",
        new BlobClientOptions { Retry = { MaxRetries = 0 } }));

    [Fact]
    public async Task WrittenBlobReadsBackUnderItsNameAndCreateAgainKeepsIt()
    {
        await store.WriteAsync("videos/story-1.mp4", Bytes("frames"), None);

        Assert.Equal(Bytes("frames"), await store.ReadAsync("videos/story-1.mp4", None));
        Assert.Equal(["videos/story-1.mp4"], await BlobNamesIn(store));

        // Creating the store again finds the existing container and its blobs.
        Assert.Equal(Bytes("frames"), await (await NewStoreAsync()).ReadAsync("videos/story-1.mp4", None));
    }

    [Fact]
    public async Task WriteReplacesOldContentAndACancelledWriteDoesNot()
    {
        await store.WriteAsync("checkpoints/s/1", Bytes("a much longer old content"), None);
        await store.WriteAsync("checkpoints/s/1", Bytes("new"), None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => store.WriteAsync("checkpoints/s/1", Bytes("cancelled"), new CancellationToken(canceled: true)));

        Assert.Equal(Bytes("new"), await store.ReadAsync("checkpoints/s/1", None));
        Assert.Equal(3, await store.LengthAsync("checkpoints/s/1", None));
    }

    [Fact]
    public async Task ConcurrentWritersOfOneBlobLeaveOneWholeContent()
    {
        string[] contents = Enumerable.Range(0, 20).Select(i => new string((char)('a' + i), 10_000 + i)).ToArray();

        await Task.WhenAll(contents.Select(content => Task.Run(() => store.WriteAsync("race", Bytes(content), None))));

        Assert.Contains(Encoding.UTF8.GetString((await store.ReadAsync("race", None))!), contents);
    }

    [Fact]
    public async Task MissingBlobAndFolderNameGiveNullAndDeleteIgnoresMissingBlobs()
    {
        await store.WriteAsync("a/b", Bytes("x"), None);

        foreach (string name in new[] { "nothing/here", "a" })
        {
            Assert.Null(await store.ReadAsync(name, None));
            Assert.Null(await store.OpenReadAsync(name, None));
            Assert.Null(await store.LengthAsync(name, None));
        }

        await store.DeleteAsync("a/b", None);
        await store.DeleteAsync("a/b", None);
        await store.DeleteAsync("no/such/folder/blob", None);
        Assert.Empty(await BlobNamesIn(store));
    }

    [Fact]
    public async Task MissingContainerGivesNullOnReadsAndFailsWritesNamingTheBlob()
    {
        // Never created: every request gets 404 ContainerNotFound.
        string never = containerName + "-none";
        var missing = new AzureBlobStore(new BlobContainerClient(fixture.Azurite.ConnectionString, never));

        Assert.Null(await missing.ReadAsync("a/b", None));
        Assert.Null(await missing.OpenReadAsync("a/b", None));
        Assert.Null(await missing.LengthAsync("a/b", None));
        await missing.DeleteAsync("a/b", None);
        var error = await Assert.ThrowsAnyAsync<RequestFailedException>(() => missing.WriteAsync("a/b", Bytes("x"), None));
        Assert.Equal((404, "ContainerNotFound"), (error.Status, error.ErrorCode));
        Assert.Contains($"write the blob \"a/b\" in the container '{never}'", error.Message);
    }

    [Fact]
    public async Task UnreachableServiceFailsNamingTheBlobRatherThanGivingNull()
    {
        var unreachable = UnreachableStore();

        var error = await Assert.ThrowsAnyAsync<RequestFailedException>(() => unreachable.ReadAsync("videos/s.mp4", None));
        Assert.Contains("read the blob \"videos/s.mp4\"", error.Message);
        await Assert.ThrowsAnyAsync<RequestFailedException>(() => unreachable.LengthAsync("videos/s.mp4", None));
        await Assert.ThrowsAnyAsync<RequestFailedException>(() => unreachable.OpenReadAsync("videos/s.mp4", None));
        error = await Assert.ThrowsAnyAsync<RequestFailedException>(() => unreachable.DeleteFolderAsync("checkpoints/s", None));
        Assert.Contains("list the blobs under \"checkpoints/s/\"", error.Message);
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
        stream.Position = 8;
        Assert.Equal(Bytes("89"), await ReadToEndAsync(stream));
    }

    [Fact]
    public async Task OpenReadSeeksAcrossALargeBlob()
    {
        // Over twice the SDK's 4 MB read buffer, so seeks land in ranges not yet fetched.
        byte[] content = Enumerable.Range(0, 9_000_000).Select(i => (byte)(i * 7 % 251)).ToArray();
        await store.WriteAsync("videos/big.mp4", content, None);

        await using Stream stream = (await store.OpenReadAsync("videos/big.mp4", None))!;
        Assert.Equal(content.Length, stream.Length);
        foreach (long position in new long[] { 8_999_990, 5_000_000, 0, 4_194_300 })
        {
            stream.Seek(position, SeekOrigin.Begin);
            var buffer = new byte[10];
            await stream.ReadExactlyAsync(buffer);
            Assert.Equal(content.AsSpan((int)position, 10).ToArray(), buffer);
        }
    }

    [Fact]
    public async Task LengthIsTheByteCountAndEmptyBlobsWork()
    {
        await store.WriteAsync("x/y.bin", new byte[1234], None);
        await store.WriteAsync("empty", ReadOnlyMemory<byte>.Empty, None);

        Assert.Equal(1234, await store.LengthAsync("x/y.bin", None));
        Assert.Equal(Array.Empty<byte>(), await store.ReadAsync("empty", None));
        Assert.Equal(0, await store.LengthAsync("empty", None));
        await using Stream stream = (await store.OpenReadAsync("empty", None))!;
        Assert.Equal(0, stream.Length);
        Assert.Empty(await ReadToEndAsync(stream));
    }

    [Fact]
    public async Task StreamOpenedBeforeAReplaceFailsRatherThanMixVersions()
    {
        await store.WriteAsync("v.mp4", Bytes("old"), None);
        await using Stream stream = (await store.OpenReadAsync("v.mp4", None))!;

        // The open stream does not block replacing or deleting the blob; it then refuses to read the new version.
        await store.WriteAsync("v.mp4", Bytes("new"), None);
        Assert.Equal(Bytes("new"), await store.ReadAsync("v.mp4", None));
        Assert.Equal(412, (await Assert.ThrowsAnyAsync<RequestFailedException>(() => ReadToEndAsync(stream))).Status);
        await store.DeleteAsync("v.mp4", None);
        Assert.Null(await store.ReadAsync("v.mp4", None));
    }

    [Fact]
    public async Task DeleteFolderRemovesOnlyThatPrefix()
    {
        string[] kept = ["checkpoints/s1", "checkpoints/s1.txt", "checkpoints/s10/1", "other/s1/1"];
        string[] gone = ["checkpoints/s1/1", "checkpoints/s1/deep/2", .. Enumerable.Range(0, 60).Select(i => $"checkpoints/s1/many/{i}")];
        await Task.WhenAll(kept.Concat(gone).Select(name => store.WriteAsync(name, Bytes(name), None)));

        await store.DeleteFolderAsync("checkpoints/s1", None);
        await store.DeleteFolderAsync("checkpoints/never-written", None);

        Assert.Equal(kept, await BlobNamesIn(store));
    }

    [Fact]
    public async Task UploadFileCopiesTheFileAndAMissingFileLeavesNothing()
    {
        using var folder = new TemporaryFolder();
        string source = Path.Combine(folder.Path, "rendered.mp4");
        File.WriteAllBytes(source, Bytes("rendered video"));

        await store.UploadFileAsync("videos/s.mp4", source, None);
        await store.UploadFileAsync("videos/s.mp4", source, None);
        await Assert.ThrowsAsync<FileNotFoundException>(
            () => store.UploadFileAsync("videos/other.mp4", Path.Combine(folder.Path, "missing.mp4"), None));

        Assert.Equal(Bytes("rendered video"), await store.ReadAsync("videos/s.mp4", None));
        Assert.Equal(["videos/s.mp4"], await BlobNamesIn(store));
    }

    // Valid names that a URL layer might be tempted to normalise (trailing dots) or fold (case).
    public static TheoryData<string> UnusualNames => ["a.", "a./b.", "...", "-_.-/x", "UPPER/lower"];

    public static TheoryData<string> BadNames => ["", "/abs", "a/../b", "..", "./a", "a//b", "a b", "a?b", "vidéo"];

    [Theory]
    [MemberData(nameof(UnusualNames))]
    public async Task UnusualValidNamesRoundTripUnchanged(string name)
    {
        await store.WriteAsync(name, Bytes(name), None);

        Assert.Equal(Bytes(name), await store.ReadAsync(name, None));
        Assert.Equal([name], await BlobNamesIn(store));
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task BadNamesAreRefusedBeforeAnyRequest(string name)
    {
        // Against an unreachable service: a request would fail with RequestFailedException, not ArgumentException.
        var unreachable = UnreachableStore();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => unreachable.WriteAsync(name, Bytes("x"), None));
        Assert.Contains(BlobNames.Show(name), error.Message);
        Assert.Contains("expected a relative path", error.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => unreachable.UploadFileAsync(name, "never-read.mp4", None));
        await Assert.ThrowsAsync<ArgumentException>(() => unreachable.ReadAsync(name, None));
        await Assert.ThrowsAsync<ArgumentException>(() => unreachable.OpenReadAsync(name, None));
        await Assert.ThrowsAsync<ArgumentException>(() => unreachable.LengthAsync(name, None));
        await Assert.ThrowsAsync<ArgumentException>(() => unreachable.DeleteAsync(name, None));
        await Assert.ThrowsAsync<ArgumentException>(() => unreachable.DeleteFolderAsync(name, None));
    }
}
