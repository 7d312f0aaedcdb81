using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using TttCluster.Storage;
using TttCluster.Stories;

namespace TttCluster.Cli.Tests;

/// <summary>`ttt serve` as a real process: killed with SIGKILL mid-render and started again, it loses nothing.</summary>
public class ServeTests(ITestOutputHelper output)
{
    private const string Key = "serve-test-key-0123456789";

    private static string Story(string title, int seed) =>
        $"title: {title}\nseed: {seed}\nsettings: {{ steps: 150, guidance: 4.0 }}\nscenes:\n" +
        string.Concat(Enumerable.Range(0, 5).Select(k => $"  - text: \"{title}, scene {k}: Jerry slips past the cat.\"\n"));

    private static (TttProcess Process, HttpClient Client) StartFarm(string data, string keys, string[] storage)
    {
        var farm = TttProcess.Start(["serve", "--port", "0", "--data", data, "--keys", keys, "--concurrent", "2", .. storage]);
        string line = farm.WaitForOutput(l => l.StartsWith("ttt serve: listening on "));
        string url = line["ttt serve: listening on ".Length..].Split(';')[0].Trim();
        var client = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return (farm, client);
    }

    /// <summary>Submits a story document; the farm must accept it (201). Returns its id.</summary>
    private static async Task<string> SubmitAsync(HttpClient client, string story)
    {
        var response = await client.PostAsync("v1/stories", new StringContent(story, Encoding.UTF8, "application/yaml"));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

        private static async Task<JsonElement> Get(HttpClient client, string id) =>
        JsonDocument.Parse(await client.GetStringAsync($"v1/stories/{id}")).RootElement;

    /// <summary>Waits for the story to end (two minutes at most): it must be done, its latents the local executor's for the same document, bit for bit.</summary>
    private static async Task AssertDoneWithTheLocalExecutorsBits(HttpClient client, string id, string document, string scratch, string when)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        JsonElement story;
        while ((story = await Get(client, id)).GetProperty("state").GetString() is not ("done" or "failed") && DateTime.UtcNow < until)
            await Task.Delay(100);
        Assert.Equal("done", story.GetProperty("state").GetString());
        string latentsPath = Path.Combine(scratch, $"latents-{id}.safetensors");
        File.WriteAllBytes(latentsPath, await client.GetByteArrayAsync($"v1/stories/{id}/latents"));
        var model = ModelBundle.Load(Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors"));
        var request = StoryRequests.ToRequest(StoryParser.Parse(Encoding.UTF8.GetBytes(document), "story", StoryRequests.LimitsFor(model)), model);
        float[] local = new LatentSampler(model).Sample(request, null, null, CancellationToken.None);
        float[] farm = LatentsFile.Read(latentsPath);
        Assert.Equal(local.Length, farm.Length);
        for (int j = 0; j < local.Length; j++)
            Assert.True(BitConverter.SingleToInt32Bits(local[j]) == BitConverter.SingleToInt32Bits(farm[j]),
                $"story {id}: latent {j} is {farm[j]:R} {when}; the local executor gives {local[j]:R}");
    }

    /// <summary>
    /// Two stories render; every process of the farm is killed with SIGKILL in the middle; a new farm on the same data
    /// folder, or the same Azure storage (Azurite, with a silo process rendering), takes both up again from their
    /// checkpoints, and their final latents are the local executor's, bit for bit.
    /// </summary>
    [Theory]
    [InlineData("folder")]
    [InlineData("azurite")]
    public async Task Serve_KilledMidRender_ResumesEveryStoryBitIdentical(string storedIn)
    {
        string data = Directory.CreateTempSubdirectory("ttt-serve-kill-").FullName;
        string keys = Path.Combine(data, "keys");
        File.WriteAllText(keys, $"studio {Key}\n");
        string[] stories = [Story("First", 3), Story("Second", 4)];
        await using var azurite = storedIn == "azurite" ? await TttCluster.Storage.Tests.AzuriteProcess.StartAsync() : null;
        // On Azurite the farm also runs a silo process, so the kill takes out a farm of two processes.
        string[] storage = azurite is null ? [] : ["--storage", azurite.ConnectionString, "--silos", "1"];
        IBlobStore blobs = azurite is null ? new FolderBlobStore(Path.Combine(data, "blobs"))
            : await AzureBlobStore.CreateAsync(azurite.ConnectionString, "tttcluster");
        try
        {
            var (first, client) = StartFarm(data, keys, storage);
            var ids = new List<string>();
            using (first)
            using (client)
            {
                foreach (string story in stories)
                {
                    ids.Add(await SubmitAsync(client, story));
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
                byte[]? checkpoint = await blobs.ReadAsync($"checkpoints/{id}", CancellationToken.None);
                Assert.True(checkpoint is not null, $"no checkpoint for {id} after the kill");
                int step = BitConverter.ToInt32(checkpoint, 8);
                output.WriteLine($"{id}: killed with its checkpoint at step {step + 1} of 150");
                Assert.InRange(step, 3, 149);
            }

            var (second, again) = StartFarm(data, keys, storage);
            using (second)
            using (again)
            {
                for (int i = 0; i < ids.Count; i++)
                {
                    await AssertDoneWithTheLocalExecutorsBits(again, ids[i], stories[i], data, "after the kill and restart");
                    Assert.Null(await blobs.ReadAsync($"checkpoints/{ids[i]}", CancellationToken.None));   // done: the checkpoint went
                }
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The process of the farm's silo process named <paramref name="silo"/>: a child whose command line names it and the farm as its parent.</summary>
    private static int SiloProcessOf(int farmPid, string silo)
    {
        foreach (string folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out int pid)) continue;
            string[] words;
            try { words = File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0'); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            int name = Array.IndexOf(words, "--name"), parent = Array.IndexOf(words, "--parent-pid");
            if (name >= 0 && parent >= 0 && words[name + 1] == silo && words[parent + 1] == farmPid.ToString()) return pid;
        }
        throw new InvalidOperationException($"no process of silo {silo} under the farm {farmPid}");
    }

    private static async Task<JsonElement[]> SilosAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("v1/silos")).RootElement.GetProperty("silos").EnumerateArray().ToArray();

    private static async Task<JsonElement[]> WaitForSilosAsync(HttpClient client, Func<JsonElement[], bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        JsonElement[] silos;
        while (!condition(silos = await SilosAsync(client)))
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"{what}: still {string.Join(", ", silos.Select(s => s.ToString()))}");
            await Task.Delay(100);
        }
        return silos;
    }

    private static bool Has(JsonElement[] silos, string name, string status) =>
        silos.Any(s => s.GetProperty("name").GetString() == name && s.GetProperty("status").GetString() == status);

    /// <summary>
    /// `ttt serve --silos 2`: two silo processes render while the farm's own silo only coordinates; one is killed with
    /// SIGKILL mid-render: the story still ends with the local executor's bits, /v1/silos shows the dead silo, and the
    /// farm starts a replacement that joins.
    /// </summary>
    [Fact]
    public async Task Serve_WithSiloProcesses_ReplacesOneKilledMidRender_AndTheStoryEndsBitIdentical()
    {
        string data = Directory.CreateTempSubdirectory("ttt-serve-silos-").FullName;
        string keys = Path.Combine(data, "keys");
        File.WriteAllText(keys, $"studio {Key}\n");
        string story = Story("Silos", 7);
        try
        {
            var (farm, client) = StartFarm(data, keys, ["--silos", "2"]);
            using (farm)
            using (client)
            {
                var silos = await WaitForSilosAsync(client, s => Has(s, "worker-0", "active") && Has(s, "worker-1", "active"), "both silo processes active");
                var gateway = silos.Single(s => s.GetProperty("name").GetString() == "gateway");
                Assert.Equal(0, gateway.GetProperty("capacity").GetInt32());   // it coordinates; the silo processes render
                string id = await SubmitAsync(client, story);

                // Mid-render: both silos hold segments of the story (its id is shown to its own tenant).
                await WaitForSilosAsync(client, s => s.Count(v => v.GetProperty("stories") is { ValueKind: JsonValueKind.Array } ids
                    && ids.EnumerateArray().Any(x => x.GetString() == id)) == 2, "both silos working on the story");
                while ((await Get(client, id)).GetProperty("stepsDone").GetInt32() < 3) await Task.Delay(20);
                int victim = SiloProcessOf(farm.Id, "worker-0");
                System.Diagnostics.Process.GetProcessById(victim).Kill();
                output.WriteLine($"killed worker-0 (process {victim}) at step {(await Get(client, id)).GetProperty("stepsDone").GetInt32()}");

                await WaitForSilosAsync(client, s => Has(s, "worker-0", "dead") && Has(s, "worker-2", "active"), "worker-0 dead and a replacement active");
                await AssertDoneWithTheLocalExecutorsBits(client, id, story, data, "after a silo process died mid-render");
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>
    /// SIGTERM (docker stop, a rolling update, a scale-down) stops `ttt serve` cleanly: it says so, its silo process leaves
    /// and exits, the farm exits 0; the story it was rendering stays accepted, and the next start on the same folder
    /// finishes it with the local executor's bits.
    /// </summary>
    [Fact]
    public async Task Serve_GivenSigterm_StopsCleanly_AndTheNextStartFinishesTheStory()
    {
        string data = Directory.CreateTempSubdirectory("ttt-serve-term-").FullName;
        string keys = Path.Combine(data, "keys");
        File.WriteAllText(keys, $"studio {Key}\n");
        string story = Story("Terminated", 11);
        try
        {
            string id;
            int siloPid;
            var (farm, client) = StartFarm(data, keys, ["--silos", "1"]);
            using (farm)
            using (client)
            {
                await WaitForSilosAsync(client, s => Has(s, "worker-0", "active"), "the silo process active");
                siloPid = SiloProcessOf(farm.Id, "worker-0");
                id = await SubmitAsync(client, story);
                while ((await Get(client, id)).GetProperty("stepsDone").GetInt32() < 3) await Task.Delay(20);

                Assert.True(farm.Terminate());
                var (code, stdout, stderr) = farm.WaitForExit();
                output.WriteLine(stderr);
                Assert.Contains("ttt: terminated: stopping cleanly", stderr);
                Assert.Contains("ttt serve: stopped", stdout);
                Assert.Equal(0, code);
            }
            Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(siloPid));   // it left and exited with the farm

            var (again, client2) = StartFarm(data, keys, []);
            using (again)
            using (client2)
                await AssertDoneWithTheLocalExecutorsBits(client2, id, story, data, "after SIGTERM and a restart");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
