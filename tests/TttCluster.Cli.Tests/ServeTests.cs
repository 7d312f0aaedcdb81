using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using TttCluster.Stories;

namespace TttCluster.Cli.Tests;

/// <summary>`ttt serve` as a real process: killed with SIGKILL mid-render and started again, it loses nothing.</summary>
public class ServeTests(ITestOutputHelper output)
{
    private const string Key = "serve-test-key-0123456789";

    private static string Story(string title, int seed) =>
        $"title: {title}\nseed: {seed}\nsettings: {{ steps: 150, guidance: 4.0 }}\nscenes:\n" +
        string.Concat(Enumerable.Range(0, 5).Select(k => $"  - text: \"{title}, scene {k}: Jerry slips past the cat.\"\n"));

    private static (TttProcess Process, HttpClient Client) StartFarm(string data, string keys)
    {
        var farm = TttProcess.Start("serve", "--port", "0", "--data", data, "--keys", keys, "--concurrent", "2");
        string line = farm.WaitForOutput(l => l.StartsWith("ttt serve: listening on "));
        string url = line["ttt serve: listening on ".Length..].Split(';')[0].Trim();
        var client = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return (farm, client);
    }

    private static async Task<JsonElement> Get(HttpClient client, string id) =>
        JsonDocument.Parse(await client.GetStringAsync($"v1/stories/{id}")).RootElement;

    /// <summary>
    /// Two stories render; the farm's only process is killed with SIGKILL in the middle; a new process on the same data
    /// folder takes both up again from their checkpoints, and their final latents are the local executor's, bit for bit.
    /// </summary>
    [Fact]
    public async Task Serve_KilledMidRender_ResumesEveryStoryBitIdentical()
    {
        string data = Directory.CreateTempSubdirectory("ttt-serve-kill-").FullName;
        string keys = Path.Combine(data, "keys");
        File.WriteAllText(keys, $"studio {Key}\n");
        string[] stories = [Story("First", 3), Story("Second", 4)];
        try
        {
            var (first, client) = StartFarm(data, keys);
            var ids = new List<string>();
            using (first)
            using (client)
            {
                foreach (string story in stories)
                {
                    var response = await client.PostAsync("v1/stories", new StringContent(story, Encoding.UTF8, "application/yaml"));
                    Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
                    ids.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
                }
                var until = DateTime.UtcNow.AddSeconds(60);
                while (DateTime.UtcNow < until)
                {
                    var steps = await Task.WhenAll(ids.Select(async id => (await Get(client, id)).GetProperty("stepsDone").GetInt32()));
                    if (steps.All(s => s >= 3)) break;
                    await Task.Delay(20);
                }
                first.KillHard();
            }
            // Both were mid-render: each has a checkpoint past its first steps, and neither is done.
            foreach (string id in ids)
            {
                string checkpoint = Path.Combine(data, "blobs", "checkpoints", id);
                Assert.True(File.Exists(checkpoint), $"no checkpoint for {id} after the kill");
                int step = BitConverter.ToInt32(File.ReadAllBytes(checkpoint), 8);
                output.WriteLine($"{id}: killed with its checkpoint at step {step + 1} of 150");
                Assert.InRange(step, 3, 149);
            }

            var (second, again) = StartFarm(data, keys);
            using (second)
            using (again)
            {
                var model = ModelBundle.Load(Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors"));
                for (int i = 0; i < ids.Count; i++)
                {
                    var until = DateTime.UtcNow.AddSeconds(120);
                    JsonElement story;
                    while ((story = await Get(again, ids[i])).GetProperty("state").GetString() is not ("done" or "failed") && DateTime.UtcNow < until)
                        await Task.Delay(100);
                    Assert.Equal("done", story.GetProperty("state").GetString());
                    string latentsPath = Path.Combine(data, $"latents-{i}.safetensors");
                    File.WriteAllBytes(latentsPath, await again.GetByteArrayAsync($"v1/stories/{ids[i]}/latents"));
                    var request = StoryRequests.ToRequest(StoryParser.Parse(Encoding.UTF8.GetBytes(stories[i]), "story", StoryRequests.LimitsFor(model)));
                    float[] local = new LatentSampler(model).Sample(request, null, null, CancellationToken.None);
                    float[] farm = LatentsFile.Read(latentsPath);
                    Assert.Equal(local.Length, farm.Length);
                    for (int j = 0; j < local.Length; j++)
                        Assert.True(BitConverter.SingleToInt32Bits(local[j]) == BitConverter.SingleToInt32Bits(farm[j]),
                            $"story {ids[i]}: latent {j} is {farm[j]:R} after the kill and restart; the local executor gives {local[j]:R}");
                    Assert.False(File.Exists(Path.Combine(data, "blobs", "checkpoints", ids[i])));   // done: the checkpoint went
                }
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
