using System.Net;
using System.Text.Json;

namespace TttCluster.Gateway.Tests;

/// <summary>GET /v1/silos on a real farm: the silo, what it holds, and only the caller's own stories by name.</summary>
public class SilosApiTests
{
    private const string LongStory =
        "title: Silos\nseed: 9\nsettings: { steps: 200, guidance: 4.0 }\nscenes:\n" +
        "  - text: \"Tom waits by the hole.\"\n  - text: \"Jerry peeks out.\"\n  - text: \"Tom pounces.\"\n  - text: \"Jerry runs.\"\n  - text: \"Tom gives up.\"\n";

    private static async Task<JsonElement> SiloAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("v1/silos")).RootElement.GetProperty("silos").EnumerateArray().Single();

    [Fact]
    public async Task Silos_ShowTheSiloAndItsSegments_NamingOnlyTheCallersStories()
    {
        var farm = await Farm.StartAsync();
        try
        {
            var idle = await SiloAsync(farm.TenantA);
            Assert.Equal(FarmServer.SiloName, idle.GetProperty("name").GetString());
            Assert.Equal("active", idle.GetProperty("status").GetString());
            Assert.Equal(1, idle.GetProperty("capacity").GetInt32());
            Assert.Equal(0, idle.GetProperty("segments").GetInt32());
            Assert.Matches(@"^127\.0\.0\.1:\d+$", idle.GetProperty("address").GetString());

            string id = await Farm.SubmitOkAsync(farm.TenantA, LongStory);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            JsonElement busy;
            while ((busy = await SiloAsync(farm.TenantA)).GetProperty("segments").GetInt32() < 5)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the silo never held the story's 5 segments: {busy}");
                await Task.Delay(20);
            }
            Assert.Equal(new[] { id }, busy.GetProperty("stories").EnumerateArray().Select(s => s.GetString()!).ToArray());
            // Another tenant sees the silo busy but not whose story it renders.
            var seenByB = await SiloAsync(farm.TenantB);
            Assert.True(seenByB.GetProperty("segments").GetInt32() > 0, seenByB.ToString());
            Assert.Empty(seenByB.GetProperty("stories").EnumerateArray());

            Assert.Equal(HttpStatusCode.Unauthorized, (await farm.Anonymous.GetAsync("v1/silos")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await farm.TenantA.PostAsync($"v1/stories/{id}/cancel", null)).StatusCode);
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }
}
