using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using TttCluster.Client;
using TttCluster.Gateway;
using TttCluster.Grains;
using TttCluster.Grains.Farm;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using TttCluster.Storage;
using TttCluster.Storage.Tests;
using TttCluster.Stories;

namespace TttCluster.Benchmarks;

/// <summary>
/// What the farm (`ttt serve`) costs a story: the latency from submission to the first progress a watcher sees; a story
/// rendered through the API (queue, checkpoints, blob store, SSE) against `ttt render`'s path for the same story in the
/// same run; and the checkpoint written at the start of every step, on the folder and on Azurite, against a step's time.
/// </summary>
public static class FarmBenchmarks
{
    private const string Key = "bench-key-0123456789abcdef";

    private static string Story(int scenes, int steps, int seed) =>
        $"title: Farm bench\nseed: {seed}\nsettings: {{ steps: {steps}, guidance: 4.0 }}\nscenes:\n" +
        string.Concat(Enumerable.Range(0, scenes).Select(k => $"  - text: \"Scene {k}: the chase continues through room {k}.\"\n"));

    public static async Task Run(BenchmarkResults r, bool quick)
    {
        var model = ModelBundle.Load(Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors"));
        string data = Directory.CreateTempSubdirectory("ttt-bench-farm-").FullName;
        try
        {
            string keys = Path.Combine(data, "keys");
            await File.WriteAllTextAsync(keys, $"bench {Key}\n");
            // One story at a time: the figures are one story's, not the queue's.
            var settings = new FarmSettings(IPAddress.Loopback, 0, Path.Combine(data, "farm"), keys, ConcurrentStories: 1);
            await using var farm = new RunningFarm(FarmServer.Build(settings, model, ApiKeys.Load(keys, settings.GeneratedKeysFile), LogLevel.None));
            await farm.App.StartAsync();
            using var client = new TttClient(new Uri(farm.App.Urls.First()), Key);

            await FirstProgress(r, client, quick);
            await ApiOverhead(r, client, model, data, quick);
            await Checkpoints(r, model, data, quick);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private sealed class RunningFarm(Microsoft.AspNetCore.Builder.WebApplication app) : IAsyncDisposable
    {
        public Microsoft.AspNetCore.Builder.WebApplication App => app;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Submission to the first "progress" event on the story's event stream, the farm idle, as a watcher sees it.</summary>
    private static async Task FirstProgress(BenchmarkResults r, TttClient client, bool quick)
    {
        var latencies = new List<double>();
        for (int i = 0; i < (quick ? 3 : 11); i++)
        {
            var clock = Stopwatch.StartNew();
            var story = await client.SubmitAsync(Story(3, 2, 100 + i));
            double? first = null;
            await foreach (var e in client.WatchAsync(story.Id))
                if (first is null && e.Progress is not null) first = clock.Elapsed.TotalMilliseconds;
            if (first is { } ms && i > 0) latencies.Add(ms);   // the first submission warms up the JIT and the grains
        }
        latencies.Sort();
        r.Add("farm_submit_to_first_progress_ms", latencies[latencies.Count / 2], "ms",
            $"median of {latencies.Count}: POST /v1/stories to the first progress event on /events, farm idle (max {latencies[^1]:N0} ms)");
    }

    /// <summary>
    /// One story through the farm (submit, render on its silo with a checkpoint every step, encode, store, download)
    /// against `ttt render`'s path (local executor, encode) in the same run, taking turns; the median of each counts.
    /// </summary>
    private static async Task ApiOverhead(BenchmarkResults r, TttClient client, ModelBundle model, string scratch, bool quick)
    {
        int scenes = quick ? 4 : 20, steps = quick ? 2 : 4;
        string text = Story(scenes, steps, 7);
        var request = StoryRequests.ToRequest(StoryParser.Parse(System.Text.Encoding.UTF8.GetBytes(text), "story", StoryRequests.LimitsFor(model)), model);
        var local = new List<double>();
        var farm = new List<double>();
        for (int round = 0; round < (quick ? 2 : 6); round++)
        {
            var clock = Stopwatch.StartNew();
            new StoryRenderer(model).Render(request, Path.Combine(scratch, $"local-{round}.mp4"), null, null, CancellationToken.None);
            double localSeconds = clock.Elapsed.TotalSeconds;

            clock.Restart();
            var story = await client.SubmitAsync(text);
            await foreach (var _ in client.WatchAsync(story.Id)) { }
            var done = await client.GetAsync(story.Id);
            if (done.State != "done") throw new InvalidOperationException($"the farm's story {story.Id} ended {done.State}: {done.Error}");
            await using (var video = File.Create(Path.Combine(scratch, $"farm-{round}.mp4")))
                await client.DownloadVideoAsync(story.Id, video);
            double farmSeconds = clock.Elapsed.TotalSeconds;
            if (round == 0) continue;   // warm-up
            local.Add(localSeconds);
            farm.Add(farmSeconds);
        }
        double localMedian = Median(local), farmMedian = Median(farm);
        r.Add("farm_ttt_render_seconds", localMedian, "s", $"Tiny, {scenes} segments, {steps} steps, to MP4 (ttt render's path)");
        r.Add("farm_api_overhead_pct", 100 * (farmMedian / localMedian - 1), "%",
            $"{farmMedian:N2} s submitted to `ttt serve`, watched to the end and downloaded (median of {farm.Count})");
    }

    /// <summary>
    /// The checkpoint a coordinator writes at the start of every step (it waits for it): the one-minute story's latents,
    /// written to the folder and to Azurite, against the time of one of its steps on the local executor.
    /// </summary>
    private static async Task Checkpoints(BenchmarkResults r, ModelBundle model, string scratch, bool quick)
    {
        var request = new RenderRequest(Enumerable.Range(0, 20).Select(k => new SceneText($"Scene {k}.")).ToArray(), 3, new SamplerSettings(2, 4.0, 1.0));
        var clock = Stopwatch.StartNew();
        float[] latents = new LatentSampler(model).Sample(request, null, null, CancellationToken.None);
        double stepMs = clock.Elapsed.TotalMilliseconds / request.Sampler.Steps;
        var checkpoint = new Checkpoint(1, 42, latents);
        double megabytes = latents.Length * sizeof(float) / 1e6;
        int writes = quick ? 5 : 30;

        async Task<double> MedianWriteMs(IBlobStore blobs)
        {
            var store = new BlobCheckpointStore(blobs);
            var times = new List<double>();
            for (int i = 0; i <= writes; i++)
            {
                var t = Stopwatch.StartNew();
                await store.SaveAsync("bench-story", checkpoint, CancellationToken.None);
                if (i > 0) times.Add(t.Elapsed.TotalMilliseconds);   // the first opens connections
            }
            await store.DeleteAsync("bench-story", CancellationToken.None);
            return Median(times);
        }

        r.Add("farm_step_ms", stepMs, "ms", $"one denoising step of Tiny with 20 segments (local executor); checkpoint {megabytes:N2} MB");
        double folder = await MedianWriteMs(new FolderBlobStore(Path.Combine(scratch, "checkpoint-bench")));
        r.Add("farm_checkpoint_write_folder_ms", folder, "ms", $"{100 * folder / stepMs:N1}% of a step (median of {writes}; written and renamed, fsync'd)");
        AzuriteProcess azurite;
        try
        {
            azurite = await AzuriteProcess.StartAsync();
        }
        catch (InvalidOperationException e)
        {
            r.Info("farm_checkpoint_write_azurite_ms", $"not measured: {e.Message}");
            return;
        }
        await using var _ = azurite;
        var blobs = await AzureBlobStore.CreateAsync(azurite.ConnectionString, "bench");
        double azure = await MedianWriteMs(blobs);
        r.Add("farm_checkpoint_write_azurite_ms", azure, "ms", $"{100 * azure / stepMs:N1}% of a step (median of {writes}; one block-blob upload to Azurite on loopback)");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
