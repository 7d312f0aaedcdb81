using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TttCluster.Abstractions;
using TttCluster.Grains;
using TttCluster.Grains.Farm;
using TttCluster.Model;
using TttCluster.Rendering;
using TttCluster.Storage;
using TttCluster.Stories;

namespace TttCluster.Gateway;

/// <summary>
/// Takes stories from the farm's queue and renders them, up to <see cref="FarmSettings.ConcurrentStories"/> at once on
/// the shared silos: the coordinator samples the latents (checkpointing every step to blob storage), then this process
/// decodes and encodes the video and stores it. On start, stories that were rendering when the farm last stopped (or
/// was killed) are queued again; their coordinators resume from the last checkpoint, with the same bits.
/// </summary>
public sealed class StoryScheduler(IGrainFactory grains, ModelBundle model, IBlobStore blobs, FarmSettings settings, StoryEvents events,
    FarmSilos silos, SiloUsage usage, StoryPreviews previews, IHostApplicationLifetime lifetime, ILogger<StoryScheduler> log) : BackgroundService
{
    /// <summary>How long the loop sleeps when nothing wakes it (a submission wakes it at once).</summary>
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new();

    /// <summary>True once stories left rendering by the last run are queued again and the loop runs.</summary>
    public bool Ready { get; private set; }

    public static string VideoBlob(string id) => $"videos/{id}.mp4";
    public static string ContactSheetBlob(string id) => $"contact-sheets/{id}.png";
    public static string LatentsBlob(string id) => $"latents/{id}.safetensors";

    /// <summary>A story was queued: look at the queue now rather than at the next poll.</summary>
    public void Wake() => _wake.Release();

    /// <summary>Stops a story this scheduler renders; false when it renders no such story.</summary>
    public bool Cancel(string storyId)
    {
        if (!_running.TryGetValue(storyId, out var cancel)) return false;
        cancel.Cancel();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        // Background services start with the host, before the silo has joined: wait until everything is up.
        await lifetime.WhenStartedAsync(stopping);
        var queue = grains.GetGrain<IQueueGrain>("farm");
        int requeued = await queue.RequeueRenderingAsync(stopping);
        if (requeued > 0) log.LogInformation("{Count} stories that were rendering when the farm stopped are queued again", requeued);
        Ready = true;
        var renders = new List<Task>();
        while (!stopping.IsCancellationRequested)
        {
            renders.RemoveAll(t => t.IsCompleted);
            // A story is taken only while some silo takes work: without one its render would fail at once (silo processes
            // still starting, or all of them dead and being replaced); it waits in the queue instead.
            while (renders.Count < settings.ConcurrentStories && await silos.AnyWorkerAsync(stopping) && await queue.TakeAsync(stopping) is { } entry)
                renders.Add(RenderAsync(entry, stopping));
            // Woken by a submission, a finished render, or the poll.
            var woken = _wake.WaitAsync(IdlePoll, stopping);
            await Task.WhenAny(renders.Append(woken));
        }
        await Task.WhenAll(renders);
    }

    private async Task RenderAsync(QueueEntry entry, CancellationToken stopping)
    {
        await Task.Yield();
        string id = entry.StoryId;
        var record = grains.GetGrain<IStoryRecordGrain>(id);
        var queue = grains.GetGrain<IQueueGrain>("farm");
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _running[id] = cancel;
        int stepsDone = 0;
        // The record's step writes, one after another, and all of them before the next state: each write publishes the
        // story's view, and the views must go out in the order the record moved. (Fired off side by side, a step's write
        // could publish "rendering" after "encoding" had gone out: watchers saw the story go back. ClientTests found it.)
        Task stepWrites = Task.CompletedTask;
        var stepWritesLock = new object();
        async Task WriteStepAsync(Task previous, int step)
        {
            await previous;
            try
            {
                await SetStateAsync(id, StoryStates.Rendering, step, null);
            }
            catch (Exception e)
            {
                log.LogWarning(e, "story {Story}: its record missed step {Step}", id, step);
            }
        }
        Task StepWritesAsync()
        {
            lock (stepWritesLock) return stepWrites;
        }
        try
        {
            var story = await record.GetAsync(CancellationToken.None);
            if (story is null || StoryStates.IsFinal(story.State))
            {
                await queue.RemoveAsync(id, CancellationToken.None);
                return;
            }
            stepsDone = story.StepsDone;
            var request = StoryRequests.ToRequest(StoryParser.Parse(Encoding.UTF8.GetBytes(story.Source), id, StoryRequests.LimitsFor(model)), model);
            var job = new LatentSampler(model).CreateJob(id, request);
            await SetStateAsync(id, StoryStates.Rendering, stepsDone, null);
            var progress = new ProgressSink(p =>
            {
                events.Publish(id, "progress", new SegmentView(p.Segment, p.Step, p.Layer, p.Phase, p.Silo));
                if (p.Segment < 0 && p.Phase.StartsWith(SegmentProgress.SiloFailure, StringComparison.Ordinal)) usage.CountFailure(p.Silo.Split(','));
                if (p.Segment >= 0 || p.Phase != "step done") return;
                // One write of the record a step; the render does not wait for it (the record only ever moves forward).
                int step = p.Step + 1;
                stepsDone = Math.Max(stepsDone, step);
                lock (stepWritesLock) stepWrites = WriteStepAsync(stepWrites, step);
            });
            float[] latents = await ClusterRender.RenderAsync(grains, job, progress, cancel.Token);
            await StepWritesAsync();
            await SetStateAsync(id, StoryStates.Encoding, request.Sampler.Steps, null);
            await StoreVideoAsync(id, request, latents, cancel.Token);
            await queue.RemoveAsync(id, CancellationToken.None);
            await SetStateAsync(id, StoryStates.Done, request.Sampler.Steps, null);
            log.LogInformation("story {Story} of {Tenant} is done", id, entry.Tenant);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The farm is stopping: the story stays "rendering" in the queue, with its checkpoint, and resumes on the next start.
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await blobs.DeleteAsync(BlobCheckpointStore.BlobName(id), CancellationToken.None);
            await queue.RemoveAsync(id, CancellationToken.None);
            await StepWritesAsync();
            await SetStateAsync(id, StoryStates.Cancelled, stepsDone, null);
        }
        catch (Exception e)
        {
            log.LogError(e, "story {Story} failed", id);
            await blobs.DeleteAsync(BlobCheckpointStore.BlobName(id), CancellationToken.None);
            await queue.RemoveAsync(id, CancellationToken.None);
            await StepWritesAsync();
            await SetStateAsync(id, StoryStates.Failed, stepsDone, e.Message);
        }
        finally
        {
            _running.TryRemove(id, out _);
            _wake.Release();
        }
    }

    /// <summary>Decodes and encodes in a scratch folder, then stores video, contact sheet and latents as blobs.</summary>
    private async Task StoreVideoAsync(string id, RenderRequest request, float[] latents, CancellationToken cancel)
    {
        string scratch = Path.Combine(settings.ScratchDirectory, id);
        Directory.CreateDirectory(scratch);
        try
        {
            string video = Path.Combine(scratch, "story.mp4"), latentsFile = Path.Combine(scratch, "story.safetensors");
            var result = await Task.Run(() => new StoryRenderer(model).Encode(request, latents, video, latentsFile, null, cancel), cancel);
            await blobs.UploadFileAsync(LatentsBlob(id), latentsFile, cancel);
            await blobs.UploadFileAsync(ContactSheetBlob(id), result.ContactSheetPath, cancel);
            // The video last: once it is there, everything is.
            await blobs.UploadFileAsync(VideoBlob(id), result.VideoPath, cancel);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Moves the story's record on and tells its watchers; a final state ends their streams.</summary>
    public async Task<StoryRecord> SetStateAsync(string id, string state, int stepsDone, string? error)
    {
        var record = await grains.GetGrain<IStoryRecordGrain>(id).UpdateAsync(state, stepsDone, error, CancellationToken.None);
        events.Publish(id, "state", StoryView.Of(record, []));
        if (StoryStates.IsFinal(record.State))
        {
            events.End(id);
            previews.Forget(id);
        }
        return record;
    }

    private sealed class ProgressSink(Action<SegmentProgress> report) : IProgress<SegmentProgress>
    {
        public void Report(SegmentProgress value) => report(value);
    }
}
