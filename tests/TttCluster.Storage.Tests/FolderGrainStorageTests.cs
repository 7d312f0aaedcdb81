using System.Text;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace TttCluster.Storage.Tests;

/// <summary>The storage called directly, without a silo.</summary>
public sealed class FolderGrainStorageTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private readonly FolderGrainStorage storage;
    private static readonly GrainId Grain = GrainId.Create("counter", "story-1");

    public FolderGrainStorageTests() => storage = new FolderGrainStorage(folder.Path);

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task MissingStateHasNoETagAndNoRecord()
    {
        var state = new GrainState<CounterState>(new CounterState { Count = 7 }, "3");

        await storage.ReadStateAsync("state", Grain, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State!.Count); // a fresh state, as a grain without saved state should see
    }

    [Fact]
    public async Task WriteThenReadInAnotherInstance()
    {
        var written = new GrainState<CounterState>(new CounterState { Count = 5, Note = "five" });
        await storage.WriteStateAsync("state", Grain, written);
        Assert.Equal("1", written.ETag);
        Assert.True(written.RecordExists);

        var read = new GrainState<CounterState>(new CounterState());
        await new FolderGrainStorage(folder.Path).ReadStateAsync("state", Grain, read);

        Assert.Equal(5, read.State!.Count);
        Assert.Equal("five", read.State!.Note);
        Assert.Equal("1", read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(["state/counter/story-1.json", "state/counter/story-1.json.lock"], folder.Files());
    }

    [Fact]
    public async Task EachWriteIncrementsTheVersion()
    {
        var state = new GrainState<CounterState>(new CounterState());
        for (int i = 1; i <= 3; i++)
        {
            state.State!.Count = i;
            await storage.WriteStateAsync("state", Grain, state);
            Assert.Equal(i.ToString(), state.ETag);
        }

        Assert.Contains("\"version\": 3", File.ReadAllText(storage.FileOf("state", Grain)));
    }

    [Fact]
    public async Task WriteWithStaleETagThrowsAndKeepsTheStoredState()
    {
        var first = new GrainState<CounterState>(new CounterState { Count = 1 });
        await storage.WriteStateAsync("state", Grain, first);
        var stale = new GrainState<CounterState>(new CounterState { Count = 100 }, first.ETag);
        await storage.WriteStateAsync("state", Grain, first); // version 2; "stale" still holds version 1

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("state", Grain, stale));

        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);
        Assert.Contains(storage.FileOf("state", Grain), error.Message);
        var read = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync("state", Grain, read);
        Assert.Equal(1, read.State!.Count);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task WriteWithoutETagOverAnExistingFileThrows()
    {
        await storage.WriteStateAsync("state", Grain, new GrainState<CounterState>(new CounterState()));

        await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync("state", Grain, new GrainState<CounterState>(new CounterState())));
    }

    [Fact]
    public async Task WriteWithETagWhenTheFileIsGoneThrows()
    {
        var state = new GrainState<CounterState>(new CounterState(), "4");

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("state", Grain, state));

        Assert.Null(error.StoredEtag);
        Assert.Contains("no file", error.Message);
    }

    [Fact]
    public async Task ConcurrentWritersWithTheSameETagLetExactlyOneThrough()
    {
        await storage.WriteStateAsync("state", Grain, new GrainState<CounterState>(new CounterState()));

        var attempts = Enumerable.Range(0, 16)
            .Select(i => Task.Run(() => storage.WriteStateAsync("state", Grain, new GrainState<CounterState>(new CounterState { Count = i }, "1"))))
            .ToArray();
        var outcomes = await Task.WhenAll(attempts.Select(async attempt =>
        {
            try
            {
                await attempt;
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        Assert.Single(outcomes, succeeded => succeeded);
        var read = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync("state", Grain, read);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task WriterWaitsWhileAnotherProcessHoldsTheLockFile()
    {
        var state = new GrainState<CounterState>(new CounterState { Count = 1 });
        await storage.WriteStateAsync("state", Grain, state);

        // Another process's writer: an exclusive open of the lock file (an flock on Linux, so it also excludes this process).
        Task write;
        using (new FileStream(storage.FileOf("state", Grain) + ".lock", FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            write = storage.WriteStateAsync("state", Grain, state);
            await Task.Delay(300);
            Assert.False(write.IsCompleted);
        }

        await write;
        Assert.Equal("2", state.ETag);
    }

    [Fact]
    public async Task ClearDeletesTheFileAndChecksTheETag()
    {
        var state = new GrainState<CounterState>(new CounterState { Count = 3 });
        await storage.WriteStateAsync("state", Grain, state);
        var stale = new GrainState<CounterState>(new CounterState(), "7");

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("state", Grain, stale));
        await storage.ClearStateAsync("state", Grain, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State!.Count);
        Assert.False(File.Exists(storage.FileOf("state", Grain)));
        var read = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync("state", Grain, read);
        Assert.False(read.RecordExists);

        await storage.WriteStateAsync("state", Grain, state); // null ETag matches "no file" again
        Assert.Equal("1", state.ETag);
    }

    [Fact]
    public async Task CorruptFileGivesAnErrorNamingTheFile()
    {
        string path = storage.FileOf("state", Grain);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{\"version\": 2, \"state\": {\"count\": ");

        var readError = await Assert.ThrowsAsync<InvalidDataException>(
            () => storage.ReadStateAsync("state", Grain, new GrainState<CounterState>(new CounterState())));
        var writeError = await Assert.ThrowsAsync<InvalidDataException>(
            () => storage.WriteStateAsync("state", Grain, new GrainState<CounterState>(new CounterState(), "2")));

        Assert.Contains(path, readError.Message);
        Assert.Contains("CounterState", readError.Message);
        Assert.Contains(path, writeError.Message);
        Assert.Equal("{\"version\": 2, \"state\": {\"count\": ", File.ReadAllText(path)); // not overwritten
    }

    [Fact]
    public async Task FileWithoutVersionIsRefused()
    {
        string path = storage.FileOf("state", Grain);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{\"state\": {\"count\": 1}}");

        var error = await Assert.ThrowsAsync<InvalidDataException>(
            () => storage.ReadStateAsync("state", Grain, new GrainState<CounterState>(new CounterState())));

        Assert.Contains(path, error.Message);
        Assert.Contains("version", error.Message);
    }

    [Fact]
    public void AnyKeyBecomesOneSafeFileNameOfItsOwn()
    {
        string[] keys = ["story-1", "Story-1", "story-1.k", "a/b", "../..", "", "é", "a\nb", "x.k78", new string('k', 300), new string('k', 301)];

        string[] paths = keys
            .Select(key => storage.FileOf("state", new GrainId(GrainType.Create("counter"), new IdSpan(Encoding.UTF8.GetBytes(key)))))
            .ToArray();

        Assert.Equal(paths.Length, paths.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (string path in paths)
        {
            string fileName = Path.GetFileName(path);
            Assert.Equal(Path.Combine(folder.Path, "state", "counter"), Path.GetDirectoryName(path));
            Assert.True(fileName.Length < 255, fileName);
            Assert.DoesNotMatch("[^A-Za-z0-9._-]", fileName);
            Assert.False(fileName.StartsWith('.'), fileName);
        }

        Assert.Equal("a_b.k612f62.json", Path.GetFileName(paths[3]));
    }
}
