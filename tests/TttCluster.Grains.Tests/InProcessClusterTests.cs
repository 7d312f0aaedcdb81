using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using TttCluster.Runtime;
using static TttCluster.Grains.Tests.ClusterTestKit;

namespace TttCluster.Grains.Tests;

public class InProcessClusterTests
{
    private static RenderRequest Story(int scenes) => new(
        Enumerable.Range(0, scenes).Select(k => new SceneText($"Scene {k}: Jerry runs past the {k}th door while Tom chases him.")).ToArray(),
        11, new SamplerSettings(2, 4.0, 1.0));

    private static StoryJob Job(RenderRequest request) => new LatentSampler(TinyModel).CreateJob("story-1", request);

    /// <summary>
    /// I1: 7 segments (divisible by none of 2, 3, 5; chunks of 136 and 112 tokens, mini-batches of 16 straddle every
    /// boundary) give bit-identical latents on the local executor and on 1, 2, 3 and 5 in-process silos.
    /// </summary>
    [Fact]
    public async Task Latents_AreBitIdenticalForAnySiloCount()
    {
        var request = Story(7);
        float[] local = new LatentSampler(TinyModel).Sample(request, null, null, CancellationToken.None);
        foreach (int silos in new[] { 1, 2, 3, 5 })
        {
            var cluster = ClusterHost.StartInProcess(TinyModel, silos);
            float[] distributed = await cluster.GetGrain<ICoordinatorGrain>("story-1").RenderLatentsAsync(Job(request), null, CancellationToken.None);
            AssertBitIdentical(local, distributed, $"{silos} silos");
            // Every silo did work: the story grain's view of its segments (reported by the silos as they went) names them all.
            var segments = await SegmentsWhen(cluster.GetGrain<IStoryGrain>("story-1"), s => s.Count(p => p is { Phase: "step done", Step: 1 }) == 7);
            Assert.Equal(silos, segments.Select(s => s.Silo).Distinct().Count());
        }
    }

    [Fact]
    public async Task StoryAndSiloGrains_ReportProgressAndLoad()
    {
        var checkpoints = new InMemoryCheckpointStore();
        var cluster = ClusterHost.StartInProcess(TinyModel, 2, checkpoints: checkpoints);
        var job = Job(Story(3)) with { Steps = 8 };   // long enough to be watched while it runs
        var story = cluster.GetGrain<IStoryGrain>(job.StoryId);
        var silo = cluster.GetGrain<ISiloGrain>("silo-1");
        List<StoryStatus> reports = [];
        List<int> held = [], stored = [];
        var render = cluster.GetGrain<ICoordinatorGrain>(job.StoryId).RenderLatentsAsync(job, null, CancellationToken.None);
        while (!render.IsCompleted)
        {
            // What an API or dashboard would see mid-render: every query answers without waiting for the busy segments.
            reports.Add(await story.GetStatusAsync(CancellationToken.None));
            held.Add((await silo.GetStatusAsync(CancellationToken.None)).ActiveGrains);
            stored.Add(checkpoints.Count);
            await Task.Delay(1);
        }
        await render;

        var final = await story.GetStatusAsync(CancellationToken.None);
        Assert.Equal(new StoryStatus(job.StoryId, "done", job.Steps, job.Steps), final);
        Assert.Contains(reports, r => r.State is "accepted" or "rendering");   // visible while it ran
        var silo1 = await silo.GetStatusAsync(CancellationToken.None);
        Assert.Equal("silo-1", silo1.SiloId);
        Assert.Contains(held, n => n >= 2);              // its segments (and itself) while the story ran
        Assert.Equal(1, silo1.ActiveGrains);             // only itself once the story is done: the segments were released
        Assert.Contains(1, stored);                      // a checkpoint while it ran
        Assert.Equal(0, checkpoints.Count);              // and none once it is done
        Assert.Equal(0, ((IGrainDirectory)cluster).Count);   // and no placements are left behind
    }

    [Theory]
    [InlineData(7, new[] { 1, 1, 1 }, new[] { 0, 0, 0, 1, 1, 2, 2 })]
    [InlineData(5, new[] { 1, 3 }, new[] { 0, 1, 1, 1, 1 })]
    [InlineData(2, new[] { 1, 1, 1 }, new[] { 0, 1 })]
    public void Placement_IsContiguousAndProportionalToCapacity(int segments, int[] capacities, int[] expected) =>
        Assert.Equal(expected, ContiguousPlacement.Assign(segments, capacities));

    [Fact]
    public async Task CallToADeadSilo_FailsClearly()
    {
        var cluster = ClusterHost.StartInProcess(TinyModel, 2);
        cluster.Pin("story-2/0", 1);
        cluster.LocalSilos[1].Stop();
        var e = await Assert.ThrowsAsync<GrainCallException>(() => cluster.GetGrain<ISegmentGrain>("story-2/0").GetLatentsAsync(CancellationToken.None));
        Assert.Contains("silo-1 is dead", e.Message);
    }

    [Fact]
    public async Task CallPastItsDeadline_FailsClearly()
    {
        var cluster = new InProcessCluster { CallDeadline = TimeSpan.FromMilliseconds(50) };
        cluster.AddSilo("silo-0", 1);
        cluster.Register<ISegmentGrain>((_, _) => new SlowSegment());
        var e = await Assert.ThrowsAsync<GrainCallException>(() => cluster.GetGrain<ISegmentGrain>("s/0").GetLatentsAsync(CancellationToken.None));
        Assert.Contains("ISegmentGrain.GetLatentsAsync", e.Message);
        Assert.Contains("missed its deadline", e.Message);
    }

    [Fact]
    public async Task CallWhoseCallerGaveUp_NeitherRunsNorActivates()
    {
        var cluster = new InProcessCluster();
        cluster.AddSilo("silo-0", 1);
        cluster.Register<ISegmentGrain>((_, _) => new SlowSegment());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cluster.GetGrain<ISegmentGrain>("s/0").AttendAsync(0, new CancellationToken(canceled: true)));
        Assert.Equal(0, cluster.LocalSilos[0].ActivationCount);
    }

    /// <summary>A grain whose call honours cancellation but would take far longer than the deadline.</summary>
    private sealed class SlowSegment : ISegmentGrain
    {
        public async Task<float[]> GetLatentsAsync(CancellationToken cancel) { await Task.Delay(TimeSpan.FromMinutes(5), cancel); return []; }
        public Task InitializeAsync(SegmentSetup setup, CancellationToken cancel) => Task.CompletedTask;
        public Task BeginStepAsync(StepStart step, CancellationToken cancel) => Task.CompletedTask;
        public Task ReceiveHaloInputAsync(int step, int layer, float[] lastFrame, int attempt, CancellationToken cancel) => Task.CompletedTask;
        public Task ReceiveHaloOutputAsync(int layer, float[] haloOutput, int attempt, CancellationToken cancel) => Task.CompletedTask;
        public Task AttendAsync(int layer, CancellationToken cancel) => Task.CompletedTask;
        public Task WhenArrivedAsync(int layer, SegmentInput input, int group, CancellationToken cancel) => Task.CompletedTask;
        public Task PrepareForwardAsync(int layer, CancellationToken cancel) => Task.CompletedTask;
        public Task ScanAsync(ScanTurn turn, CancellationToken cancel) => Task.CompletedTask;
        public Task ReceiveScanStateAsync(int layer, bool reverse, int group, byte[] state, int attempt, CancellationToken cancel) => Task.CompletedTask;
        public Task DeliverScanOutputAsync(ScanOutputs outputs, CancellationToken cancel) => Task.CompletedTask;
        public Task FinishForwardAsync(int layer, CancellationToken cancel) => Task.CompletedTask;
        public Task FinishBlockAsync(int layer, CancellationToken cancel) => Task.CompletedTask;
        public Task<float[]> EndStepAsync(StepEnd step, CancellationToken cancel) => Task.FromResult<float[]>([]);
    }
}
