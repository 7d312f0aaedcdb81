using TttCluster.Abstractions;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using static TttCluster.Grains.Tests.ClusterTestKit;

namespace TttCluster.Grains.Tests;

/// <summary>A stopped render keeps its checkpoint, and the next render of the same job goes on from it with the same bits.</summary>
public class ResumeTests
{
    private static RenderRequest Story(string tag, int steps) => new(
        Enumerable.Range(0, 5).Select(k => new SceneText($"Scene {k} ({tag}): the mouse hides behind door {k}.")).ToArray(),
        29, new SamplerSettings(steps, 4.0, 1.0));

    [Fact]
    public async Task StoppedRender_ResumesFromItsCheckpoint_BitIdentical()
    {
        // Steps enough that the stop lands before the end even when progress events arrive late on a busy machine.
        var request = Story("resume", 12);
        float[] local = new LatentSampler(TinyModel).Sample(request, null, null, CancellationToken.None);
        var job = new LatentSampler(TinyModel).CreateJob("story-resume", request);
        await using var cluster = await StartSilos(2);
        var grains = cluster.GrainsOfPrimary();

        // Stopped once the second step is done: the checkpoint of step 3 stays.
        using var stop = new CancellationTokenSource();
        var stopped = await Assert.ThrowsAsync<StoryCancelledException>(() => ClusterRender.RenderAsync(grains, job,
            new CallbackProgress(p => { if (p.Segment < 0 && p.Phase == "step done" && p.Step == 1) stop.Cancel(); }), stop.Token));
        Assert.InRange(stopped.StepsDone, 2, request.Sampler.Steps - 1);

        var said = new List<string>();
        float[] resumed = await Render(grains, job, p => { if (p.Segment < 0) lock (said) said.Add(p.Phase); });
        Assert.Contains($"resumed at step {stopped.StepsDone + 1} from its checkpoint", said);
        Assert.Equal(job.Steps - stopped.StepsDone, said.Count(p => p == "step done"));   // only the steps left were rendered
        AssertBitIdentical(local, resumed, "resumed after a stop");
    }

    [Fact]
    public async Task ACheckpointOfAnotherJob_UnderTheSameId_IsNotResumed()
    {
        var first = new LatentSampler(TinyModel).CreateJob("story-reused-id", Story("first", 12));
        var secondRequest = Story("second", 3);
        float[] local = new LatentSampler(TinyModel).Sample(secondRequest, null, null, CancellationToken.None);
        await using var cluster = await StartSilos(1);
        var grains = cluster.GrainsOfPrimary();
        using var stop = new CancellationTokenSource();
        var stopped = await Assert.ThrowsAsync<StoryCancelledException>(() => ClusterRender.RenderAsync(grains, first,
            new CallbackProgress(p => { if (p.Segment < 0 && p.Phase == "step done") stop.Cancel(); }), stop.Token));
        Assert.InRange(stopped.StepsDone, 1, first.Steps - 1);   // a checkpoint of the first job is there

        var said = new List<string>();
        float[] latents = await Render(grains, new LatentSampler(TinyModel).CreateJob("story-reused-id", secondRequest),
            p => { if (p.Segment < 0) lock (said) said.Add(p.Phase); });
        Assert.DoesNotContain(said, p => p.StartsWith("resumed"));
        AssertBitIdentical(local, latents, "a new job under a used id");
    }

    [Fact]
    public async Task InMemoryCheckpointStore_KeepsTheLatestAndCopies()
    {
        var store = new InMemoryCheckpointStore();
        float[] latents = [1f, 2f];
        await store.SaveAsync("s", new Checkpoint(1, 7, latents), CancellationToken.None);
        latents[0] = 99f;                                                   // the caller goes on with its array
        await store.SaveAsync("s", new Checkpoint(2, 7, [3f, 4f]), CancellationToken.None);
        var latest = await store.LatestAsync("s", CancellationToken.None);
        Assert.Equal(2, latest!.Step);
        Assert.Equal([3f, 4f], latest.Latents);
        await store.DeleteAsync("s", CancellationToken.None);
        Assert.Null(await store.LatestAsync("s", CancellationToken.None));
    }
}
