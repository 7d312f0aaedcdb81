using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace TttCluster.Gateway.Tests;

/// <summary>What the farm serves for its dashboard: the page itself, the farm's description, per-step previews, steps over time, Orleans' dashboard.</summary>
public class DashboardApiTests
{
    private const string LongStory =
        "title: Previews\nseed: 3\nsettings: { steps: 200, guidance: 4.0 }\nscenes:\n" +
        "  - text: \"Tom naps.\"\n  - text: \"Jerry tiptoes.\"\n  - text: \"Tom wakes.\"\n";

    [Fact]
    public async Task ThePage_IsServedAtTheRoot_WithItsScripts_UnderAStrictContentSecurityPolicy()
    {
        var farm = await Farm.StartAsync();
        try
        {
            var page = await farm.Anonymous.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            string csp = string.Join(" ", page.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", csp);
            Assert.Contains("script-src 'self'", csp);
            string html = await page.Content.ReadAsStringAsync();
            Assert.Contains("app.js", html);
            // Every script and style the page names is served from the farm itself.
            var script = await farm.Anonymous.GetAsync("/app.js");
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("http://", html);
            Assert.DoesNotContain("https://", html);
            // Orleans' dashboard answers on loopback.
            Assert.Equal(HttpStatusCode.OK, (await farm.Anonymous.GetAsync("/orleans/")).StatusCode);
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task OrleansDashboard_RefusesCallersFromOtherMachines()
    {
        // A farm listening on every interface, called through this machine's own non-loopback address.
        var address = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? throw new InvalidOperationException("this test needs a non-loopback IPv4 address on one of this machine's interfaces");
        string data = Directory.CreateTempSubdirectory("ttt-farm-test-").FullName;
        string keys = Path.Combine(data, "keys");
        await File.WriteAllTextAsync(keys, $"studio-a {Farm.KeyA}\n");
        var settings = new FarmSettings(IPAddress.Any, 0, data, keys);
        var app = FarmServer.Build(settings, Farm.Model, ApiKeys.Load(keys, settings.GeneratedKeysFile), LogLevel.None);
        await app.StartAsync();
        try
        {
            int port = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1")).Port;
            using var remote = new HttpClient { BaseAddress = new Uri($"http://{address}:{port}/") };
            var refused = await remote.GetAsync("orleans/");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("answers only on this machine", await refused.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await remote.GetAsync("/")).StatusCode);   // the dashboard itself is for everyone with a key
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Preview_OfARenderingStory_IsOneTilePerSegment_AndStepTimesGrowWithTheSteps()
    {
        var farm = await Farm.StartAsync();
        try
        {
            var about = JsonDocument.Parse(await farm.TenantA.GetStringAsync("v1/farm")).RootElement;
            // A file that is not the Tiny preset's shape is named by its shape (the shipped one has 4 blocks, not 2).
            var shape = Farm.Model.Config;
            Assert.Equal($"{shape.Layers} layers × {shape.Width} wide", about.GetProperty("model").GetString());
            Assert.True(about.GetProperty("previews").GetBoolean());

            string id = await Farm.SubmitOkAsync(farm.TenantA, LongStory);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            HttpResponseMessage preview;
            while (true)
            {
                preview = await farm.TenantA.GetAsync($"v1/stories/{id}/preview");
                if (preview.StatusCode == HttpStatusCode.OK && int.Parse(preview.Headers.GetValues("X-Preview-Step").Single()) >= 2) break;
                Assert.True(DateTime.UtcNow < deadline, $"no preview after 2 steps: {(int)preview.StatusCode} {await preview.Content.ReadAsStringAsync()}");
                await Task.Delay(50);
            }
            Assert.Equal("image/png", preview.Content.Headers.ContentType?.MediaType);
            byte[] png = await preview.Content.ReadAsByteArrayAsync();
            int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
            int tile = int.Parse(preview.Headers.GetValues("X-Preview-Tile-Width").Single());
            Assert.Equal(Farm.Model.Decoder.Width, tile);
            Assert.Equal(3 * tile, width);
            Assert.Equal(Farm.Model.Decoder.Height, height);

            // Another tenant's story is no story; each step done has its time, in order.
            Assert.Equal(HttpStatusCode.NotFound, (await farm.TenantB.GetAsync($"v1/stories/{id}/preview")).StatusCode);
            var story = await Farm.GetStoryAsync(farm.TenantA, id);
            var times = story.GetProperty("stepTimes").EnumerateArray().Select(t => t.GetDateTimeOffset()).ToArray();
            Assert.True(times.Length >= 2 && times.Length <= story.GetProperty("stepsDone").GetInt32() + 1, story.ToString());
            Assert.Equal(times.Order(), times);

            Assert.Equal(HttpStatusCode.OK, (await farm.TenantA.PostAsync($"v1/stories/{id}/cancel", null)).StatusCode);
            var refused = await farm.TenantA.GetAsync($"v1/stories/{id}/preview");
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("previews exist while it renders", await refused.Content.ReadAsStringAsync());
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task Previews_TurnedOff_AnswerAsProblem()
    {
        string data = Directory.CreateTempSubdirectory("ttt-farm-test-").FullName;
        string keys = Path.Combine(data, "keys");
        await File.WriteAllTextAsync(keys, $"studio-a {Farm.KeyA}\n");
        var settings = new FarmSettings(IPAddress.Loopback, 0, data, keys, Previews: false);
        var app = FarmServer.Build(settings, Farm.Model, ApiKeys.Load(keys, settings.GeneratedKeysFile), LogLevel.None);
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/") };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Farm.KeyA);
            Assert.False(JsonDocument.Parse(await client.GetStringAsync("v1/farm")).RootElement.GetProperty("previews").GetBoolean());
            string id = await Farm.SubmitOkAsync(client, LongStory);
            var off = await client.GetAsync($"v1/stories/{id}/preview");
            Assert.Equal(HttpStatusCode.NotFound, off.StatusCode);
            Assert.Contains("--previews on", await off.Content.ReadAsStringAsync());
            await client.PostAsync($"v1/stories/{id}/cancel", null);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }
}
