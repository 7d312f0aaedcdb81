using System.Collections.Concurrent;
using System.Diagnostics;
using TttCluster.Client;

namespace TttCluster.Gateway.Tests;

/// <summary>Many clients of several tenants at once against one real farm, through the client SDK.</summary>
public class LoadTests(ITestOutputHelper output)
{
    private const int Clients = 10, Submissions = 50, Watchers = 5;

    /// <summary>
    /// How long a watcher waits for its story to end: the watched ones are the last five of 50, so they wait for the 45
    /// before them at two at a time. Only a hung farm should exceed it; CI, with other test projects beside it on two
    /// cores, once took over 2 minutes (the watch patience of the other client tests).
    /// </summary>
    private static readonly TimeSpan WatchPatience = TimeSpan.FromMinutes(8);

    /// <summary>Five tenants, two clients each: studio-a and studio-b of the harness and three more.</summary>
    private static readonly (string Tenant, string Key)[] MoreTenants =
        [("studio-c", "key-of-studio-c-1111111111"), ("studio-d", "key-of-studio-d-2222222222"), ("studio-e", "key-of-studio-e-3333333333")];

    private static readonly (string Tenant, string Key)[] Tenants = [("studio-a", Farm.KeyA), ("studio-b", Farm.KeyB), .. MoreTenants];

    /// <summary>
    /// 50 tiny stories (1-2 scenes, 1-2 steps) submitted all at once by 10 clients of 5 tenants, 5 of them watched while
    /// they wait and render: every id is new, each tenant lists exactly its own stories once each, every story is done,
    /// and every watcher saw its story through to a done final state, no event lost or repeated.
    /// </summary>
    [Fact]
    public async Task FiftySubmissionsFromTenClients_WithFiveWatchers_EveryStoryAccountedFor()
    {
        var farm = await Farm.StartWithTenantsAsync(MoreTenants, concurrentStories: 2);
        var clients = Enumerable.Range(0, Clients).Select(i => new TttClient(farm.BaseAddress, Tenants[i % Tenants.Length].Key)).ToArray();
        try
        {
            var clock = Stopwatch.StartNew();
            var submitted = new ConcurrentBag<(int Client, StoryInfo Story)>();
            var watches = new ConcurrentBag<(StoryInfo Story, Task<List<StoryUpdate>> Updates)>();
            // Submission k goes through client k % 10; the last five are watched from the moment they are accepted
            // (the queue is long by then: their watchers see them wait, render and finish).
            await Task.WhenAll(Enumerable.Range(0, Submissions).Select(async k =>
            {
                int client = k % Clients;
                var story = await clients[client].SubmitAsync(ClientTests.Story($"Load{k}", scenes: 1 + k % 2, steps: 1 + k / 2 % 2, seed: k));
                submitted.Add((client, story));
                if (k >= Submissions - Watchers) watches.Add((story, ClientTests.WatchToEndAsync(clients[client], story.Id, WatchPatience)));
            }));
            output.WriteLine($"{Submissions} submitted in {clock.Elapsed.TotalSeconds:F1} s");

            Assert.Equal(Submissions, submitted.Count);
            Assert.Equal(Submissions, submitted.Select(s => s.Story.Id).Distinct().Count());
            Assert.All(submitted, s => Assert.Equal("queued", s.Story.State));

            Assert.Equal(Watchers, watches.Count);
            foreach (var (story, updates) in watches)
                ClientTests.AssertWholeAndInOrder(await updates, "done", story.Steps);
            output.WriteLine($"watchers done at {clock.Elapsed.TotalSeconds:F1} s");

            for (int t = 0; t < Tenants.Length; t++)
            {
                var own = submitted.Where(s => s.Client % Tenants.Length == t).Select(s => s.Story).ToDictionary(s => s.Id);
                var client = clients[t];
                var listed = await ListAllWhenFinalAsync(client);
                // Exactly its own, each once: the same ids as many times as it submitted, and nothing of anyone else.
                Assert.Equal(own.Keys.Order(), listed.Select(s => s.Id).Order());
                Assert.All(listed, s => Assert.Equal(("done", own[s.Id].Steps), (s.State, s.StepsDone)));
            }
            output.WriteLine($"all {Submissions} done and listed at {clock.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
            await farm.DisposeAndDeleteAsync();
        }
    }

    /// <summary>
    /// The tenant's whole list, read in pages of 3 (so many pages, every page's total the same), once no story in it
    /// is waiting or rendering any more.
    /// </summary>
    private static async Task<List<StoryInfo>> ListAllWhenFinalAsync(TttClient client)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            var all = new List<StoryInfo>();
            int? total = null;
            for (int offset = 0; ; offset += 3)
            {
                var page = await client.ListAsync(offset, limit: 3);
                total ??= page.Total;
                Assert.Equal(total, page.Total);
                if (page.Stories.Count == 0) break;
                all.AddRange(page.Stories);
            }
            Assert.Equal(total, all.Count);
            if (all.All(s => s.IsFinal)) return all;
            if (patience.Elapsed > TimeSpan.FromMinutes(3))
                throw new TimeoutException($"still not ended: {string.Join(", ", all.Where(s => !s.IsFinal).Select(s => $"{s.Id} {s.State}"))}");
            await Task.Delay(200);
        }
    }
}
