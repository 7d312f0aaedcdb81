using System.Buffers.Binary;
using System.Net;
using System.Text;
using TttCluster.Client;

namespace TttCluster.Gateway.Tests;

/// <summary>
/// One real farm for all of <see cref="ClientTests"/> (they run one after another): rendering one story at a time, so
/// a long story keeps the next one waiting in the queue. Each test leaves nothing queued or rendering behind.
/// </summary>
public sealed class ClientFarm : IAsyncLifetime
{
    internal Farm Farm { get; private set; } = null!;
    public async Task InitializeAsync() => Farm = await Farm.StartAsync(concurrentStories: 1);
    public Task DisposeAsync() => Farm.DisposeAndDeleteAsync();
}

/// <summary>
/// The client SDK (<see cref="TttClient"/>) against a real farm: submit, get, list, watch (through a connection cut
/// mid-stream too), cancel, download, and each refusal as its typed exception with the farm's problem details.
/// Studio-b's stories are the paging test's alone; the other tests use studio-a.
/// </summary>
public class ClientTests(ClientFarm fixture, ITestOutputHelper output) : IClassFixture<ClientFarm>
{
    private Farm Farm => fixture.Farm;

    /// <summary>Long enough for any watch here to end; it only stops a hung test.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    internal static string Story(string title, int scenes, int steps, int seed) =>
        $"title: {title}\nseed: {seed}\nsettings: {{ steps: {steps}, guidance: 4.0 }}\nscenes:\n" +
        string.Concat(Enumerable.Range(0, scenes).Select(k => $"  - text: \"Scene {k} of {title}: Tom chases Jerry round the table.\"\n"));

    private TttClient Client(string key, HttpMessageHandler? handler = null) =>
        new(Farm.BaseAddress, key, handler) { ReconnectDelay = TimeSpan.FromMilliseconds(20) };

    /// <summary>Every update of a watch until the SDK ends it, or until <paramref name="patience"/> (default
    /// <see cref="Patience"/>) has passed.</summary>
    internal static async Task<List<StoryUpdate>> WatchToEndAsync(TttClient client, string id, TimeSpan? patience = null)
    {
        using var giveUp = new CancellationTokenSource(patience ?? Patience);
        var updates = new List<StoryUpdate>();
        await foreach (var update in client.WatchAsync(id, giveUp.Token)) updates.Add(update);
        return updates;
    }

    /// <summary>The farm's event id "EPOCH-N": the farm process, and the event's number within the story.</summary>
    internal static (string Epoch, long Number) Parse(string eventId)
    {
        int dash = eventId.IndexOf('-');
        Assert.True(dash > 0, $"event id {eventId}: expected EPOCH-N");
        return (eventId[..dash], long.Parse(eventId[(dash + 1)..]));
    }

    private static int Rank(string state) => state switch { "queued" => 0, "rendering" => 1, "encoding" => 2, _ => 3 };

    /// <summary>
    /// A watch from the story's start seen whole: the farm's events (the ones with ids) numbered 1, 2, 3, ... with none
    /// missing or repeated, their states only moving forward, and the last update the final state with every step done.
    /// (Updates without an id are the farm's view of the story when a connection opens.)
    /// </summary>
    internal static void AssertWholeAndInOrder(IReadOnlyList<StoryUpdate> updates, string finalState, int steps)
    {
        Assert.NotEmpty(updates);
        var ids = updates.Where(u => u.EventId is not null).Select(u => Parse(u.EventId!)).ToList();
        Assert.NotEmpty(ids);
        Assert.Single(ids.Select(i => i.Epoch).Distinct());
        var numbers = ids.Select(i => i.Number).ToList();
        Assert.Equal(Enumerable.Range(1, numbers.Count).Select(n => (long)n), numbers);
        var states = updates.Where(u => u.EventId is not null && u.Story is not null).Select(u => u.Story!.State).ToList();
        for (int i = 1; i < states.Count; i++)
            Assert.True(Rank(states[i - 1]) <= Rank(states[i]), $"state {states[i]} came after {states[i - 1]}: {string.Join(", ", states)}");
        var last = updates[^1].Story;
        Assert.True(last is not null, "the watch did not end on the story's state");
        Assert.Equal(finalState, last.State);
        Assert.True(last.IsFinal);
        if (finalState == "done")
        {
            Assert.Equal(steps, last.StepsDone);
            // The coordinator's "step done" events (segment −1) count every step, in order (the last one was lost when the
            // render's answer overtook it: ClusterRender now waits for it).
            var stepsDone = updates.Where(u => u.Progress is { Segment: -1, Phase: "step done" }).Select(u => u.Progress!.Step).ToList();
            Assert.Equal(Enumerable.Range(0, steps), stepsDone);
        }
    }

    [Fact]
    public async Task YamlAndJsonStories_AreSubmittedWatchedToDoneAndTheirVideoDownloads()
    {
        using var client = Client(Farm.KeyA);
        var yaml = await client.SubmitAsync(Story("Yaml", scenes: 2, steps: 3, seed: 1), priority: 3);
        Assert.Matches("^s_[0-9a-f]{16}$", yaml.Id);
        Assert.Equal(("queued", 3, 2, 3, 0), (yaml.State, yaml.Priority, yaml.Segments, yaml.Steps, yaml.StepsDone));
        Assert.False(yaml.IsFinal);
        Assert.Null(yaml.StartedAt);
        const string Json = """
            { "title": "Json", "seed": 2, "settings": { "steps": 2, "guidance": 4.0 },
              "scenes": [ { "text": "Jerry rings the doorbell; Tom goes to open the door." } ] }
            """;
        var json = await client.SubmitAsync(Json);
        Assert.Equal((0, 1, 2), (json.Priority, json.Segments, json.Steps));
        Assert.NotEqual(yaml.Id, json.Id);

        var got = await client.GetAsync(yaml.Id);
        Assert.Equal((yaml.Id, yaml.Priority, yaml.Steps, yaml.SubmittedAt), (got.Id, got.Priority, got.Steps, got.SubmittedAt));

        var yamlUpdates = await WatchToEndAsync(client, yaml.Id);
        output.WriteLine($"{yaml.Id}: {yamlUpdates.Count} updates");
        AssertWholeAndInOrder(yamlUpdates, "done", 3);
        AssertWholeAndInOrder(await WatchToEndAsync(client, json.Id), "done", 2);

        var done = await client.GetAsync(yaml.Id);
        Assert.Equal(("done", 3), (done.State, done.StepsDone));
        Assert.True(done.FinishedAt >= done.StartedAt);
        Assert.Empty(done.SegmentProgress);
        // A finished story watched again: its final state at once, and the watch ends.
        var again = await WatchToEndAsync(client, yaml.Id);
        Assert.Equal("done", Assert.Single(again).Story!.State);

        var listed = (await client.ListAsync(0, StoryApi.MaxPageSize)).Stories.Select(s => s.Id).ToList();
        Assert.Contains(yaml.Id, listed);
        Assert.True(listed.IndexOf(json.Id) < listed.IndexOf(yaml.Id), "newest first");

        using var video = new MemoryStream();
        await client.DownloadVideoAsync(yaml.Id, video);
        byte[] mp4 = video.ToArray();
        // An MP4 starts with its ftyp box: a big-endian size, "ftyp", a major brand.
        Assert.Equal("ftyp", Encoding.ASCII.GetString(mp4, 4, 4));
        Assert.InRange(BinaryPrimitives.ReadUInt32BigEndian(mp4), 16u, 64u);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Farm.DataDirectory, "blobs", "videos", yaml.Id + ".mp4")), mp4);
        using var response = await Farm.TenantA.GetAsync($"v1/stories/{yaml.Id}/video", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(mp4.Length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task List_PagesThroughTheTenantsStories_NewestFirst_EachOnce()
    {
        using var client = Client(Farm.KeyB);
        var submitted = new List<string>();
        for (int i = 0; i < 5; i++) submitted.Add((await client.SubmitAsync(Story($"Page{i}", 1, 1, 10 + i))).Id);

        var listed = new List<string>();
        for (int offset = 0; ; offset += 2)
        {
            var page = await client.ListAsync(offset, limit: 2);
            Assert.Equal((5, offset), (page.Total, page.Offset));
            Assert.InRange(page.Stories.Count, 0, 2);
            if (page.Stories.Count == 0) break;
            listed.AddRange(page.Stories.Select(s => s.Id));
        }
        Assert.Equal(Enumerable.Reverse(submitted), listed);
        // Studio-a's key sees none of them.
        using var other = Client(Farm.KeyA);
        Assert.DoesNotContain((await other.ListAsync(0, StoryApi.MaxPageSize)).Stories, s => submitted.Contains(s.Id));

        // Several watchers at once, each to its story's end.
        var ends = await Task.WhenAll(submitted.Select(id => WatchToEndAsync(client, id)));
        foreach (var updates in ends) AssertWholeAndInOrder(updates, "done", 1);
    }

    [Fact]
    public async Task Refusals_AreTypedExceptions_CarryingTheProblemDetails()
    {
        using var client = Client(Farm.KeyA);
        var story = await client.CancelAsync((await client.SubmitAsync(Story("Mine", 1, 1, 3))).Id);

        using var wrongKey = Client("key-of-nobody-at-all-000000");
        foreach (var call in new Func<Task>[]
                 {
                     () => wrongKey.GetAsync(story.Id), () => wrongKey.ListAsync(), () => wrongKey.SubmitAsync(Story("Nobody", 1, 1, 1)),
                     () => wrongKey.CancelAsync(story.Id), () => wrongKey.DownloadVideoAsync(story.Id, Stream.Null),
                     () => wrongKey.WatchAsync(story.Id).GetAsyncEnumerator().MoveNextAsync().AsTask(),
                 })
        {
            var e = await Assert.ThrowsAsync<UnauthorizedException>(call);
            Assert.Equal((401, "unauthorized", "the API key is not valid"), (e.Status, e.Title, e.Detail));
            Assert.Equal(401, e.Problem.GetProperty("status").GetInt32());
        }

        using var otherTenant = Client(Farm.KeyB);
        foreach (var (who, id) in new[] { (otherTenant, story.Id), (client, "s_0123456789abcdef"), (client, "not-an-id") })
        {
            foreach (var call in new Func<Task>[]
                     {
                         () => who.GetAsync(id), () => who.CancelAsync(id), () => who.DownloadVideoAsync(id, Stream.Null),
                         () => who.WatchAsync(id).GetAsyncEnumerator().MoveNextAsync().AsTask(),
                     })
            {
                var e = await Assert.ThrowsAsync<StoryNotFoundException>(call);
                Assert.Equal((404, "no such story"), (e.Status, e.Title));
                Assert.Equal($"there is no story \"{id}\" for this API key", e.Detail);
            }
        }

        var invalid = await Assert.ThrowsAsync<InvalidStoryException>(() => client.SubmitAsync("title: Broken\nseed: -4\nscenes:\n  - text: \"\"\n"));
        Assert.Equal((422, "invalid story"), (invalid.Status, invalid.Title));
        Assert.StartsWith($"the story has {invalid.Problems.Count} problem(s); the first: ", invalid.Detail);
        Assert.Contains(invalid.Problems, p => p.Field.Contains("seed") && p.Line == 2 && p.Column is > 0);
        Assert.All(invalid.Problems, p => Assert.False(string.IsNullOrEmpty(p.Message)));
        Assert.Equal(invalid.Problems.Count, invalid.Problem.GetProperty("errors").GetArrayLength());

        var priority = await Assert.ThrowsAsync<TttApiException>(() => client.SubmitAsync(Story("Urgent", 1, 1, 1), priority: 11));
        Assert.Equal((400, "invalid priority", "priority: expected a whole number from -10 to 10; found \"11\""), (priority.Status, priority.Title, priority.Detail));
        Assert.Equal(typeof(TttApiException), priority.GetType());

        // The cancelled story has no video, and cannot be cancelled again: 409s, with the reason.
        var notRendered = await Assert.ThrowsAsync<TttApiException>(() => client.DownloadVideoAsync(story.Id, Stream.Null));
        Assert.Equal((409, "not rendered yet"), (notRendered.Status, notRendered.Title));
        Assert.Contains("cancelled", notRendered.Detail);
        var ended = await Assert.ThrowsAsync<TttApiException>(() => client.CancelAsync(story.Id));
        Assert.Equal((409, "story already ended"), (ended.Status, ended.Title));
        Assert.Equal(0, (await otherTenant.ListAsync()).Stories.Count(s => s.Id == story.Id));
    }

    [Fact]
    public async Task Cancel_TakesAQueuedStoryOffTheQueue_AndStopsARenderingOne()
    {
        using var client = Client(Farm.KeyA);
        var rendering = await client.SubmitAsync(Story("Long", 2, 200, 2));
        var queued = await client.SubmitAsync(Story("Behind", 1, 1, 3));
        using (var patience = new CancellationTokenSource(Patience))
            await foreach (var update in client.WatchAsync(rendering.Id, patience.Token))
                if (update.Story is { StepsDone: >= 1 }) break;   // leaving the watch early closes its stream
        Assert.Equal("queued", (await client.GetAsync(queued.Id)).State);   // one story renders at a time here

        var cancelledWaiting = await client.CancelAsync(queued.Id);
        Assert.Equal(("cancelled", 0), (cancelledWaiting.State, cancelledWaiting.StepsDone));
        Assert.Equal("cancelled", (await client.GetAsync(queued.Id)).State);
        Assert.Equal("cancelled", Assert.Single(await WatchToEndAsync(client, queued.Id)).Story!.State);

        var cancelledRendering = await client.CancelAsync(rendering.Id);
        Assert.Equal("cancelled", cancelledRendering.State);
        var updates = await WatchToEndAsync(client, rendering.Id);
        var last = updates[^1].Story!;
        Assert.Equal("cancelled", last.State);
        Assert.InRange(last.StepsDone, 1, 199);
        var e = await Assert.ThrowsAsync<TttApiException>(() => client.CancelAsync(rendering.Id));
        Assert.Equal(409, e.Status);
    }

    /// <summary>A watch of a farm that never answered (nothing listens there) fails at once, like any other call.</summary>
    [Fact]
    public async Task Watch_OfAFarmThatNeverAnswered_FailsAtOnce()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();   // a port that was free a moment ago, now refused
        using var client = new TttClient(new Uri($"http://127.0.0.1:{port}"), Farm.KeyA) { ReconnectDelay = TimeSpan.FromMilliseconds(20) };
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("s_0123456789abcdef"));
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var _ in client.WatchAsync("s_0123456789abcdef", patience.Token)) { }
        });
    }

    /// <summary>
    /// The first events stream is cut partway (after 1,500 bytes: inside an event, most likely) while the story
    /// renders; the SDK connects again with the last event id it saw and the watch goes on as if nothing happened.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Watch_ConnectionCutMidStream_ResumesWithNoEventLostOrRepeated(bool abort)
    {
        var handler = new CuttingHandler(cutAfterBytes: 1_500, abort);
        using var client = Client(Farm.KeyA, handler);
        var story = await client.SubmitAsync(Story("Cut", 2, 6, 4));
        var updates = await WatchToEndAsync(client, story.Id);
        AssertResumedWhole(handler, updates, 6);
    }

    /// <summary>
    /// The cut connection is only taken up again once the story is done: the farm still keeps its events, and the
    /// watch gets every one it missed, not only the final state.
    /// </summary>
    [Fact]
    public async Task Watch_ResumedAfterTheStoryEnded_StillGetsEveryEventItMissed()
    {
        using var observer = Client(Farm.KeyA);
        string? id = null;
        var handler = new CuttingHandler(cutAfterBytes: 1_500, abort: true)
        {
            BeforeResuming = async () =>
            {
                while (!(await observer.GetAsync(id!)).IsFinal) await Task.Delay(50);
            },
        };
        using var client = Client(Farm.KeyA, handler);
        id = (await client.SubmitAsync(Story("Late", 2, 3, 5))).Id;
        var updates = await WatchToEndAsync(client, id);
        AssertResumedWhole(handler, updates, 3);
    }

    private void AssertResumedWhole(CuttingHandler handler, List<StoryUpdate> updates, int steps)
    {
        output.WriteLine($"{updates.Count} updates; events requests with Last-Event-ID: {string.Join(", ", handler.EventsRequests.Select(i => i ?? "none"))}");
        Assert.True(handler.HasCut, "the stream ended before the cut: make the story longer");
        var requests = handler.EventsRequests;
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0]);
        // The second connection asked for what came after the last event the first one delivered whole ...
        string resumedAfter = Assert.IsType<string>(requests[1]);
        int seen = updates.FindIndex(u => u.EventId == resumedAfter);
        Assert.True(seen >= 0, $"the SDK resumed after {resumedAfter}, an event it never delivered");
        // ... and got events after it: the farm's, numbered on from there.
        Assert.Contains(updates.Skip(seen + 1), u => u.EventId is not null);
        AssertWholeAndInOrder(updates, "done", steps);
    }
}
