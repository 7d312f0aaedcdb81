using Orleans.Runtime;
using Orleans.Serialization;
using Microsoft.Extensions.DependencyInjection;
using TttCluster.Abstractions;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using static TttCluster.Grains.Tests.ClusterTestKit;

namespace TttCluster.Grains.Tests;

/// <summary>Orleans silos in this process (InProcessTestCluster): the same bits as the local executor, status, placement, the wire format.</summary>
public class InProcessClusterTests
{
    private static RenderRequest Story(int scenes) => new(
        Enumerable.Range(0, scenes).Select(k => new SceneText($"Scene {k}: Jerry runs past the {k}th door while Tom chases him.")).ToArray(),
        11, new SamplerSettings(2, 4.0, 1.0));

    private static StoryJob Job(RenderRequest request, string id = "story-1") => new LatentSampler(TinyModel).CreateJob(id, request);

    /// <summary>
    /// I1: 7 segments (divisible by none of 2, 3, 5; chunks of 136 and 112 tokens, mini-batches of 16 straddle every
    /// boundary) give bit-identical latents on the local executor and on 1, 2, 3 and 5 silos.
    /// </summary>
    [Fact]
    public async Task Latents_AreBitIdenticalForAnySiloCount()
    {
        var request = Story(7);
        float[] local = new LatentSampler(TinyModel).Sample(request, null, null, CancellationToken.None);
        foreach (int silos in new[] { 1, 2, 3, 5 })
        {
            await using var cluster = await StartSilos(silos);
            var grains = cluster.GrainsOfPrimary();
            float[] distributed = await Render(grains, Job(request));
            AssertBitIdentical(local, distributed, $"{silos} silos");
            // Every silo did work: the story grain's view of its segments (reported by the silos as they went) names them all.
            var segments = await SegmentsWhen(grains.GetGrain<IStoryGrain>("story-1"), s => s.Count(p => p is { Phase: "step done", Step: 1 }) == 7);
            Assert.Equal(silos, segments.Select(s => s.Silo).Distinct().Count());
        }
    }

    /// <summary>
    /// Ctrl-C at any moment while silos start ends in an OperationCanceledException, which the render turns into its clear
    /// stop: Orleans throws its own OrleansLifecycleCanceledException when the stop lands between two lifecycle stages (a CI
    /// run met it; measured here about 1 moment in 15), so 25 moments 20 ms apart are tried (two silos take about 2 s to
    /// start). Starts that finish first are stopped normally.
    /// </summary>
    [Fact]
    public async Task StartStoppedAtAnyMoment_EndsInOperationCanceled()
    {
        var outcomes = new List<string>();
        foreach (int ms in Enumerable.Range(0, 25).Select(i => i * 20))
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(ms));
            try
            {
                await using var silos = await InProcessSilos.StartAsync(TinyModel, 2, cancel.Token);
                outcomes.Add($"{ms} ms: started");
            }
            catch (OperationCanceledException e)
            {
                outcomes.Add($"{ms} ms: stopped{(e.InnerException is OrleansLifecycleCanceledException ? " between stages" : "")}");
            }
            catch (Exception e)
            {
                outcomes.Add($"{ms} ms: {e.GetType().Name}");
            }
        }
        Assert.All(outcomes, o => Assert.Matches(": (started|stopped)", o));
        Assert.Contains(outcomes, o => o.Contains("stopped"));
    }

    [Fact]
    public async Task StoryAndSiloGrains_ReportProgressAndLoad()
    {
        await using var cluster = await StartSilos(2);
        var grains = cluster.GrainsOfPrimary();
        var job = Job(Story(3)) with { Steps = 8 };   // long enough to be watched while it runs
        var story = grains.GetGrain<IStoryGrain>(job.StoryId);
        var silo = grains.GetGrain<ISiloGrain>("Silo_1");
        List<StoryStatus> reports = [];
        List<int> held = [];
        var render = Render(grains, job);
        while (!render.IsCompleted)
        {
            // What an API or dashboard would see mid-render: every query answers without waiting for the busy segments.
            reports.Add(await story.GetStatusAsync(CancellationToken.None));
            held.Add((await silo.GetStatusAsync(CancellationToken.None)).ActiveSegments);
            await Task.Delay(1);
        }
        await render;

        Assert.Equal(new StoryStatus(job.StoryId, "done", job.Steps, job.Steps), await story.GetStatusAsync(CancellationToken.None));
        Assert.Contains(reports, r => r.State is "accepted" or "rendering");   // visible while it ran
        Assert.Contains(held, n => n >= 1);                                     // its segments while the story ran
        var secondary = await silo.GetStatusAsync(CancellationToken.None);
        Assert.Equal(("Silo_1", 1), (secondary.SiloName, secondary.Capacity));
        // Released once the story is done: the segments deactivate (after their last calls), none is left behind.
        var until = DateTime.UtcNow.AddSeconds(10);
        while ((await silo.GetStatusAsync(CancellationToken.None)).ActiveSegments > 0 && DateTime.UtcNow < until) await Task.Delay(20);
        Assert.Equal(0, (await silo.GetStatusAsync(CancellationToken.None)).ActiveSegments);
        // The silo grain lives on the silo it describes.
        var secondaryAddress = cluster.Silos[1].SiloAddress;
        Assert.True(cluster.Silos[1].ServiceProvider.GetRequiredService<ILocalSiloDetails>().SiloAddress.Equals(secondaryAddress));
    }

    [Theory]
    [InlineData(7, new[] { 1, 1, 1 }, new[] { 0, 0, 0, 1, 1, 2, 2 })]
    [InlineData(5, new[] { 1, 3 }, new[] { 0, 1, 1, 1, 1 })]
    [InlineData(2, new[] { 1, 1, 1 }, new[] { 0, 1 })]
    public void Placement_IsContiguousAndProportionalToCapacity(int segments, int[] capacities, int[] expected) =>
        Assert.Equal(expected, ContiguousPlacement.Assign(segments, capacities));

    /// <summary>A key naming a silo that is not in the cluster fails with the name, instead of activating somewhere else.</summary>
    [Fact]
    public async Task GrainOnASiloNotInTheCluster_FailsClearly()
    {
        await using var cluster = await StartSilos(1);
        var segment = cluster.GrainsOfPrimary().GetGrain<ISegmentGrain>(SegmentKeys.Of("story-2", 0, "0", "silo-gone"));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => segment.GetLatentsAsync(CancellationToken.None));
        Assert.Contains("'silo-gone', which is not an active member of the cluster", e.Message);
    }

    /// <summary>A segment is placed on the silo its key names, whoever calls it.</summary>
    [Fact]
    public async Task Segment_IsPlacedOnTheSiloItsKeyNames()
    {
        await using var cluster = await StartSilos(3);
        foreach (var caller in cluster.Silos)
        {
            var grains = caller.ServiceProvider.GetRequiredService<IGrainFactory>();
            var segment = grains.GetGrain<ISegmentGrain>(SegmentKeys.Of("story-3", 0, "0", "Silo_2"));
            await segment.GetLatentsAsync(CancellationToken.None);
        }
        Assert.Equal(1, (await cluster.GrainsOfPrimary().GetGrain<ISiloGrain>("Silo_2").GetStatusAsync(CancellationToken.None)).ActiveSegments);
        Assert.Equal(0, (await cluster.GrainsOfPrimary().GetGrain<ISiloGrain>("Silo_1").GetStatusAsync(CancellationToken.None)).ActiveSegments);
    }

    /// <summary>Floats cross the wire as one block: the bytes are the floats' own, after a few bytes of framing.</summary>
    [Fact]
    public async Task FloatBlock_TravelsAsOneBlockOfItsOwnBytes()
    {
        await using var cluster = await StartSilos(1);
        var serializer = cluster.Silos[0].ServiceProvider.GetRequiredService<Serializer>();
        var floats = Enumerable.Range(0, 100_000).Select(i => MathF.Sin(i) * 1e3f).ToArray();
        var message = new ScanOutputs(3, 1, true, 2, 40, 16, new FloatBlock(floats));
        byte[] bytes = serializer.SerializeToArray(message);
        Assert.InRange(bytes.Length, floats.Length * 4, floats.Length * 4 + 64);
        int at = bytes.AsSpan().IndexOf(System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan(0, 16)));
        Assert.True(at > 0, "the floats' bytes appear as they are");
        var back = serializer.Deserialize<ScanOutputs>(bytes);
        Assert.Equal(message with { Output = back!.Output }, back);
        AssertBitIdentical(floats, back.Output.ToArray(), "round trip");
    }

    /// <summary>A block whose declared length is absurd is refused before anything is allocated for it.</summary>
    [Fact]
    public async Task FloatBlock_WithAnAbsurdLength_IsRefused()
    {
        await using var cluster = await StartSilos(1);
        var serializer = cluster.Silos[0].ServiceProvider.GetRequiredService<Serializer>();
        byte[] bytes = serializer.SerializeToArray(new FloatBlock([1f, 2f]));
        // The length prefix (a varint of 8 bytes) sits right before the 8 bytes of floats: declare 7 bytes instead.
        int at = bytes.AsSpan().IndexOf(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new[] { 1f, 2f }.AsSpan()));
        bytes[at - 1] = (7 << 1) | 1;   // varint encoding of Orleans' writer: (value << 1) | 1 for one byte
        var e = Assert.ThrowsAny<Exception>(() => serializer.Deserialize<FloatBlock>(bytes));
        Assert.Contains("float block: expected a whole number of floats", e.ToString());
    }
}
