using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using TttCluster.Stories;

namespace TttCluster.Gateway.Tests;

/// <summary>The farm's API end to end on a real farm: submit, render, download, tenants, cancel, restart, the queue's order.</summary>
public class ApiTests(ITestOutputHelper output)
{
    private static string Story(string title, int scenes, int steps, int seed) =>
        $"title: {title}\nseed: {seed}\nsettings: {{ steps: {steps}, guidance: 4.0 }}\nscenes:\n" +
        string.Concat(Enumerable.Range(0, scenes).Select(k => $"  - text: \"Scene {k} of {title}: Tom chases Jerry round the table.\"\n"));

    /// <summary>What the local executor renders for the same story document: the farm must give these bits.</summary>
    private static float[] LocalLatents(string story)
    {
        var parsed = StoryParser.Parse(Encoding.UTF8.GetBytes(story), "story", StoryRequests.LimitsFor(Farm.Model));
        return new LatentSampler(Farm.Model).Sample(StoryRequests.ToRequest(parsed, Farm.Model), null, null, CancellationToken.None);
    }

    private static float[] LatentsOf(byte[] safetensors, string scratch)
    {
        string path = Path.Combine(scratch, $"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, safetensors);
        return LatentsFile.Read(path);
    }

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: latent {i} is {actual[i]:R}, the local executor gives {expected[i]:R}");
    }

    [Fact]
    public async Task SubmittedStory_RendersToTheLocalExecutorsBits_AndItsFilesDownload()
    {
        var farm = await Farm.StartAsync();
        try
        {
            string story = Story("Download", 3, 4, 5);
            var created = await Farm.SubmitAsync(farm.TenantA, story, query: "?priority=3");
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
            string id = body.GetProperty("id").GetString()!;
            Assert.Equal($"/v1/stories/{id}", created.Headers.Location!.OriginalString);
            Assert.Equal("queued", body.GetProperty("state").GetString());
            Assert.Equal(3, body.GetProperty("priority").GetInt32());
            Assert.Equal(3, body.GetProperty("segments").GetInt32());

            var done = await Farm.WaitForEndAsync(farm.TenantA, id);
            Assert.Equal("done", done.GetProperty("state").GetString());
            Assert.Equal(4, done.GetProperty("stepsDone").GetInt32());
            Assert.True(done.GetProperty("finishedAt").GetDateTimeOffset() >= done.GetProperty("startedAt").GetDateTimeOffset());

            byte[] latents = await farm.TenantA.GetByteArrayAsync($"v1/stories/{id}/latents");
            AssertBitIdentical(LocalLatents(story), LatentsOf(latents, farm.DataDirectory), "rendered by the farm");

            var video = await farm.TenantA.GetAsync($"v1/stories/{id}/video");
            Assert.Equal("video/mp4", video.Content.Headers.ContentType!.MediaType);
            byte[] mp4 = await video.Content.ReadAsByteArrayAsync();
            Assert.Equal("ftyp", Encoding.ASCII.GetString(mp4, 4, 4));
            // A range request (players seek): 206 with exactly those bytes.
            var range = new HttpRequestMessage(HttpMethod.Get, $"v1/stories/{id}/video") { Headers = { Range = new RangeHeaderValue(100, 199) } };
            var partial = await farm.TenantA.SendAsync(range);
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
            Assert.Equal(mp4[100..200], await partial.Content.ReadAsByteArrayAsync());

            byte[] png = await farm.TenantA.GetByteArrayAsync($"v1/stories/{id}/contact-sheet");
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);

            var list = JsonDocument.Parse(await farm.TenantA.GetStringAsync("v1/stories")).RootElement;
            Assert.Equal(1, list.GetProperty("total").GetInt32());
            Assert.Equal(id, list.GetProperty("stories")[0].GetProperty("id").GetString());
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task ATenant_SeesOnlyItsOwnStories_AndNoKeyGetsNothing()
    {
        var farm = await Farm.StartAsync();
        try
        {
            string id = await Farm.SubmitOkAsync(farm.TenantA, Story("Private", 2, 2, 1));
            var missing = await farm.TenantB.GetAsync("v1/stories/s_0123456789abcdef");
            var others = await farm.TenantB.GetAsync($"v1/stories/{id}");
            // Another tenant's story answers exactly as a missing one: nothing tells it exists.
            Assert.Equal(HttpStatusCode.NotFound, others.StatusCode);
            Assert.Equal(JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString(),
                JsonDocument.Parse(await others.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString());
            Assert.Equal(HttpStatusCode.NotFound, (await farm.TenantB.PostAsync($"v1/stories/{id}/cancel", null)).StatusCode);
            Assert.Equal(0, JsonDocument.Parse(await farm.TenantB.GetStringAsync("v1/stories")).RootElement.GetProperty("total").GetInt32());

            var anonymous = await farm.Anonymous.GetAsync("v1/stories");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType!.MediaType);
            using var wrong = farm.Client("key-of-nobody-at-all-000000");
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync($"v1/stories/{id}")).StatusCode);
            // Health needs no key.
            Assert.Equal(HttpStatusCode.OK, (await farm.Anonymous.GetAsync("healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await farm.Anonymous.GetAsync("readyz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await farm.Anonymous.GetAsync("openapi/v1.json")).StatusCode);
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task BadStory_IsRefusedWithEachProblemAndItsLine()
    {
        var farm = await Farm.StartAsync();
        try
        {
            var response = await Farm.SubmitAsync(farm.TenantA, "title: Broken\nseed: -4\nscenes:\n  - text: \"\"\n");
            Assert.Equal((HttpStatusCode)422, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            output.WriteLine(problem.ToString());
            var errors = problem.GetProperty("errors").EnumerateArray().ToArray();
            Assert.NotEmpty(errors);
            Assert.Contains(errors, e => e.GetProperty("field").GetString()!.Contains("seed") && e.GetProperty("line").GetInt32() == 2);
            Assert.Equal(0, JsonDocument.Parse(await farm.TenantA.GetStringAsync("v1/stories")).RootElement.GetProperty("total").GetInt32());
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    /// <summary>Cancelling a waiting story takes it off the queue; cancelling a rendering one stops it and frees the silo.</summary>
    [Fact]
    public async Task Cancel_StopsAWaitingAndARenderingStory()
    {
        var farm = await Farm.StartAsync(concurrentStories: 1);
        try
        {
            string rendering = await Farm.SubmitOkAsync(farm.TenantA, Story("Long", 6, 200, 2));
            string waiting = await Farm.SubmitOkAsync(farm.TenantA, Story("Next", 2, 2, 3));
            var until = DateTime.UtcNow.AddSeconds(60);
            while ((await Farm.GetStoryAsync(farm.TenantA, rendering)).GetProperty("stepsDone").GetInt32() < 1 && DateTime.UtcNow < until) await Task.Delay(50);

            var cancelWaiting = await farm.TenantA.PostAsync($"v1/stories/{waiting}/cancel", null);
            Assert.Equal(HttpStatusCode.OK, cancelWaiting.StatusCode);
            Assert.Equal("cancelled", (await Farm.GetStoryAsync(farm.TenantA, waiting)).GetProperty("state").GetString());
            Assert.Equal(HttpStatusCode.OK, (await farm.TenantA.PostAsync($"v1/stories/{rendering}/cancel", null)).StatusCode);
            var stopped = await Farm.WaitForEndAsync(farm.TenantA, rendering, TimeSpan.FromSeconds(20));
            Assert.Equal("cancelled", stopped.GetProperty("state").GetString());
            Assert.InRange(stopped.GetProperty("stepsDone").GetInt32(), 1, 199);
            // Its checkpoint goes (the render stops a moment after the story shows cancelled), and the silo is free: the
            // next story renders at once.
            string checkpoint = Path.Combine(farm.DataDirectory, "blobs", "checkpoints", rendering);
            var gone = DateTime.UtcNow.AddSeconds(10);
            while (File.Exists(checkpoint) && DateTime.UtcNow < gone) await Task.Delay(50);
            Assert.False(File.Exists(checkpoint));
            string after = await Farm.SubmitOkAsync(farm.TenantA, Story("After", 2, 2, 4));
            Assert.Equal("done", (await Farm.WaitForEndAsync(farm.TenantA, after, TimeSpan.FromSeconds(30))).GetProperty("state").GetString());
            Assert.Equal((HttpStatusCode)409, (await farm.TenantA.PostAsync($"v1/stories/{after}/cancel", null)).StatusCode);
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    /// <summary>
    /// With one story rendering at a time: a higher priority goes first, and one tenant's burst takes turns with another
    /// tenant's story instead of keeping it waiting until the whole burst is done.
    /// </summary>
    [Fact]
    public async Task Queue_ServesPriorityFirst_ThenTakesTurnsBetweenTenants()
    {
        var farm = await Farm.StartAsync(concurrentStories: 1);
        try
        {
            string blocker = await Farm.SubmitOkAsync(farm.TenantA, Story("Blocker", 2, 60, 1));
            var burst = new List<string>();
            for (int i = 0; i < 3; i++) burst.Add(await Farm.SubmitOkAsync(farm.TenantA, Story($"Burst{i}", 2, 2, 10 + i)));
            string other = await Farm.SubmitOkAsync(farm.TenantB, Story("Other", 2, 2, 20));
            string urgent = await Farm.SubmitOkAsync(farm.TenantB, Story("Urgent", 2, 2, 21), "?priority=5");

            async Task<DateTimeOffset> StartOf(HttpClient client, string id) =>
                (await Farm.WaitForEndAsync(client, id)).GetProperty("startedAt").GetDateTimeOffset();
            var order = new List<(string Name, DateTimeOffset Started)>
            {
                ("blocker", await StartOf(farm.TenantA, blocker)),
                ("urgent", await StartOf(farm.TenantB, urgent)),
                ("other", await StartOf(farm.TenantB, other)),
            };
            for (int i = 0; i < burst.Count; i++) order.Add(($"burst{i}", await StartOf(farm.TenantA, burst[i])));
            string sequence = string.Join(" ", order.OrderBy(o => o.Started).Select(o => o.Name));
            output.WriteLine(sequence);
            // The blocker was taken before the others arrived; then the urgent one; then studio-b's other story comes
            // before the second of studio-a's burst (studio-a was served by its blocker and first burst story).
            Assert.Equal("blocker urgent", string.Join(" ", order.OrderBy(o => o.Started).Take(2).Select(o => o.Name)));
            var started = order.ToDictionary(o => o.Name, o => o.Started);
            Assert.True(started["other"] < started["burst1"], sequence);
            Assert.True(started["burst0"] < started["burst1"] && started["burst1"] < started["burst2"], sequence);
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    /// <summary>A farm stopped and started again on the same folder still has every story, and their videos.</summary>
    [Fact]
    public async Task Restart_OnTheSameFolder_KeepsStoriesAndVideos()
    {
        var farm = await Farm.StartAsync();
        string data = farm.DataDirectory;
        string id = await Farm.SubmitOkAsync(farm.TenantA, Story("Kept", 2, 2, 9));
        await Farm.WaitForEndAsync(farm.TenantA, id);
        byte[] video = await farm.TenantA.GetByteArrayAsync($"v1/stories/{id}/video");
        await farm.DisposeAsync();

        var again = await Farm.StartAsync(data);
        try
        {
            Assert.Equal("done", (await Farm.GetStoryAsync(again.TenantA, id)).GetProperty("state").GetString());
            Assert.Equal(video, await again.TenantA.GetByteArrayAsync($"v1/stories/{id}/video"));
            // Submission numbering carries on: a new story is listed first.
            string second = await Farm.SubmitOkAsync(again.TenantA, Story("New", 2, 2, 10));
            var list = JsonDocument.Parse(await again.TenantA.GetStringAsync("v1/stories")).RootElement;
            Assert.Equal([second, id], list.GetProperty("stories").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToArray());
        }
        finally
        {
            await again.DisposeAndDeleteAsync();
        }
    }
}
