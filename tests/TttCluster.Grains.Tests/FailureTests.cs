using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using static TttCluster.Grains.Tests.ClusterTestKit;

namespace TttCluster.Grains.Tests;

/// <summary>Silos die in the middle of renders; the stories still complete, with the local executor's bits.</summary>
public class FailureTests(ITestOutputHelper output)
{
    private static (float[] Local, StoryJob Job) Story(string id, int scenes, int steps, ulong seed)
    {
        var request = new RenderRequest(Enumerable.Range(0, scenes).Select(k => $"Scene {k} of {id}: Tom and Jerry again.").Select(t => new SceneText(t)).ToArray(),
            seed, new SamplerSettings(steps, 4.0, 1.0));
        var sampler = new LatentSampler(TinyModel);
        return (sampler.Sample(request, null, null, CancellationToken.None), sampler.CreateJob(id, request));
    }

    [Fact]
    public async Task SiloProcessKilledMidRender_StoryCompletesBitIdentical()
    {
        var (local, job) = Story("story-kill", 7, 5, 21);   // five steps: the kill lands well before the end
        // A seeded "random" point: the n-th progress event, somewhere in the second step.
        int killAt = new Random(20261121).Next(40, 120), events = 0;
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        var failures = new List<string>();
        var progress = new CallbackProgress(p =>
        {
            if (Interlocked.Increment(ref events) == killAt) cluster.Kill(1);
            if (p.Phase.StartsWith("silo failure")) lock (failures) failures.Add(p.Phase);
        });
        float[] latents = await cluster.Grains.GetGrain<ICoordinatorGrain>(job.StoryId).RenderLatentsAsync(job, progress, CancellationToken.None);
        output.WriteLine($"killed silo-1 at progress event {killAt}; coordinator said: {string.Join(" | ", failures)}");
        Assert.NotEmpty(failures);                                      // the kill was noticed and a step redone
        Assert.Equal(2, cluster.Silos.Count);
        AssertBitIdentical(local, latents, "after SIGKILL of a silo process");
    }

    /// <summary>Two stories share three silo processes when one is killed: each notices, and both complete bit-identical.</summary>
    [Fact]
    public async Task SiloProcessKilledUnderTwoStories_BothCompleteBitIdentical()
    {
        var stories = new[] { Story("story-two-a", 6, 4, 31), Story("story-two-b", 5, 4, 32) };
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        int killed = 0;
        var progress = new CallbackProgress(p => { if (p.Step == 1 && Interlocked.Exchange(ref killed, 1) == 0) cluster.Kill(1); });
        var results = await Task.WhenAll(stories.Select(s =>
            cluster.Grains.GetGrain<ICoordinatorGrain>(s.Job.StoryId).RenderLatentsAsync(s.Job, progress, CancellationToken.None)));
        Assert.Equal(1, killed);
        for (int i = 0; i < stories.Length; i++) AssertBitIdentical(stories[i].Local, results[i], stories[i].Job.StoryId);
    }

    /// <summary>
    /// A silo that holds none of a story's segments dies while it renders: the heartbeats declare it dead, and the story
    /// carries on where it is, with no redo.
    /// </summary>
    [Fact]
    public async Task SiloOutsideThePlacementDies_TheStoryCarriesOnWithoutARedo()
    {
        // Two segments on three silos of equal capacity: silo-0 and silo-1 take one each, silo-2 none. Enough steps to
        // outlast the heartbeats' three misses.
        var (local, job) = Story("story-bystander", 2, 300, 17);
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        var failures = new List<string>();
        var silos = new HashSet<string>();
        int killed = 0, afterDeath = 0;
        var progress = new CallbackProgress(p =>
        {
            if (Interlocked.Exchange(ref killed, 1) == 0) cluster.Kill(2);
            else if (cluster.StateOf(2) == ProcessCluster.SiloState.Dead) afterDeath = 1;   // the story went on after it
            if (p.Phase.StartsWith("silo failure")) lock (failures) failures.Add(p.Phase);
            if (p.Segment >= 0) lock (silos) silos.Add(p.Silo);
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        float[] latents = await cluster.Grains.GetGrain<ICoordinatorGrain>(job.StoryId).RenderLatentsAsync(job, progress, CancellationToken.None);
        output.WriteLine($"rendered in {clock.Elapsed.TotalSeconds:N1} s; silo-2 is {cluster.StateOf(2)}");
        Assert.Equal(1, afterDeath);   // silo-2 was declared dead while the story ran, and it carried on
        Assert.DoesNotContain("silo-2", silos);
        Assert.Empty(failures);
        AssertBitIdentical(local, latents, "with a bystander silo dying");
    }

    /// <summary>
    /// A silo that hangs (SIGSTOP: its connections stay open, nothing answers) mid-render: the heartbeats declare it dead
    /// within seconds, the step in flight is given up at once rather than at the calls' 10-minute deadline, and the story
    /// completes on the survivors with the same bits.
    /// </summary>
    [Fact]
    public async Task SiloHungMidRender_IsDeclaredDeadAndTheStoryCompletesBitIdentical()
    {
        var (local, job) = Story("story-hang", 7, 4, 13);
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        var failures = new List<string>();
        int stopped = 0;
        var progress = new CallbackProgress(p =>
        {
            if (p.Step == 1 && Interlocked.Exchange(ref stopped, 1) == 0)
                System.Diagnostics.Process.Start("kill", ["-STOP", cluster.ProcessIdOf(1).ToString()])!.WaitForExit();
            if (p.Phase.StartsWith("silo failure")) lock (failures) failures.Add(p.Phase);
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        float[] latents = await cluster.Grains.GetGrain<ICoordinatorGrain>(job.StoryId).RenderLatentsAsync(job, progress, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"hung silo-1 during step 2; finished after {clock.Elapsed.TotalSeconds:N1} s; coordinator said: {string.Join(" | ", failures)}");
        Assert.Equal(1, stopped);
        Assert.NotEmpty(failures);
        Assert.Equal(ProcessCluster.SiloState.Dead, cluster.StateOf(1));
        AssertBitIdentical(local, latents, "after a silo hung");
    }

    [Fact]
    public async Task KilledSilo_IsSuspectedThenDeclaredDeadByHeartbeats()
    {
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 2, CancellationToken.None);
        cluster.Kill(0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        var seen = new HashSet<ProcessCluster.SiloState>();
        while (cluster.StateOf(0) != ProcessCluster.SiloState.Dead && DateTime.UtcNow < deadline)
        {
            seen.Add(cluster.StateOf(0));
            await Task.Delay(50);
        }
        Assert.Equal(ProcessCluster.SiloState.Dead, cluster.StateOf(0));
        Assert.Equal(ProcessCluster.SiloState.Alive, cluster.StateOf(1));
        Assert.Single(cluster.Silos);
    }

    [Fact]
    public async Task SiloAddedAfterOneDied_TakesPartInTheNextStory()
    {
        var (local, job) = Story("story-join", 5, 2, 8);
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 2, CancellationToken.None);
        cluster.Kill(1);
        await cluster.ProbeAsync(CancellationToken.None);
        Assert.Equal(ProcessCluster.SiloState.Dead, cluster.StateOf(1));
        string joined = await cluster.AddSiloAsync(CancellationToken.None);
        Assert.Equal("silo-2", joined);
        Assert.Equal(["silo-0", "silo-2"], cluster.Silos.Select(s => s.Id).Order());

        float[] latents = await cluster.Grains.GetGrain<ICoordinatorGrain>(job.StoryId).RenderLatentsAsync(job, null, CancellationToken.None);
        AssertBitIdentical(local, latents, "on a silo that joined after another died");
        var silo = await cluster.Grains.GetGrain<ISiloGrain>(joined).GetStatusAsync(CancellationToken.None);
        Assert.Equal(joined, silo.SiloId);
        var segments = await SegmentsWhen(cluster.Grains.GetGrain<IStoryGrain>(job.StoryId), s => s.Count == 5);
        Assert.Contains(joined, segments.Select(s => s.Silo));   // it did work
    }

    [Fact]
    public async Task InProcessSiloStoppedMidRender_StoryCompletesBitIdentical()
    {
        var (local, job) = Story("story-stop", 5, 2, 3);
        var cluster = ClusterHost.StartInProcess(TinyModel, 3);
        int events = 0;
        var progress = new CallbackProgress(_ => { if (Interlocked.Increment(ref events) == 30) cluster.LocalSilos[2].Stop(); });
        float[] latents = await cluster.GetGrain<ICoordinatorGrain>(job.StoryId).RenderLatentsAsync(job, progress, CancellationToken.None);
        AssertBitIdentical(local, latents, "after stopping an in-process silo");
    }

    /// <summary>Several stories at once share the silos: each coordinator's idle silos serve the others' segments.</summary>
    [Fact]
    public async Task ConcurrentStories_ShareSilosAndStayBitIdentical()
    {
        var stories = new[] { Story("story-a", 4, 2, 1), Story("story-b", 3, 2, 2), Story("story-c", 5, 2, 3) };
        var cluster = ClusterHost.StartInProcess(TinyModel, 3);
        var results = await Task.WhenAll(stories.Select(s =>
            cluster.GetGrain<ICoordinatorGrain>(s.Job.StoryId).RenderLatentsAsync(s.Job, null, CancellationToken.None)));
        for (int i = 0; i < stories.Length; i++) AssertBitIdentical(stories[i].Local, results[i], stories[i].Job.StoryId);
    }
}
