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

    /// <summary>
    /// Renders a 7-scene, 5-step story on <paramref name="cluster"/> and stops silo-1 with <paramref name="stop"/> at a seeded
    /// "random" point (the n-th progress event, somewhere in the second step). Returns the local executor's latents, the
    /// cluster's, and what the coordinator said of silo failures.
    /// </summary>
    private async Task<(float[] Local, float[] Latents, List<string> Failures)> RenderStoppingSilo1(ProcessCluster cluster, string storyId, ulong seed,
        int pointSeed, string how, Action stop)
    {
        var (local, job) = Story(storyId, 7, 5, seed);   // five steps: the stop lands well before the end
        int stopAt = new Random(pointSeed).Next(40, 120), events = 0;
        var failures = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double stoppedAt = 0, redoAt = 0;
        float[] latents = await Render(cluster.Grains, job, p =>
        {
            if (Interlocked.Increment(ref events) == stopAt) { stoppedAt = clock.Elapsed.TotalSeconds; stop(); }
            if (p.Phase.StartsWith("silo failure")) lock (failures) { failures.Add(p.Phase); redoAt = clock.Elapsed.TotalSeconds; }
        });
        output.WriteLine($"{how} silo-1 at progress event {stopAt}; the redo began {redoAt - stoppedAt:N2} s later; coordinator said: {string.Join(" | ", failures)}");
        return (local, latents, failures);
    }

    [Fact]
    public async Task SiloProcessKilledMidRender_StoryCompletesBitIdentical()
    {
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        var (local, latents, failures) = await RenderStoppingSilo1(cluster, "story-kill", 21, 20261121, "SIGKILL to", () => cluster.Kill(1));
        Assert.NotEmpty(failures);                                      // the kill was noticed and a step redone
        Assert.Contains("silo-1 declared dead", failures[0]);           // no goodbye: failure detection found it
        Assert.Equal(2, cluster.Silos.Count);
        AssertBitIdentical(local, latents, "after SIGKILL of a silo process");
    }

    /// <summary>
    /// SIGTERM to a silo process mid-render (a rolling update, a scale-down): it leaves the cluster saying goodbye, the
    /// coordinator moves its segments at once (the story's message says it left, not that it was declared dead: no probe
    /// had to miss), and the story completes with the local executor's bits.
    /// </summary>
    [Fact]
    public async Task SiloProcessGivenSigtermMidRender_LeavesAtOnce_StoryCompletesBitIdentical()
    {
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        var (local, latents, failures) = await RenderStoppingSilo1(cluster, "story-sigterm", 23, 20261206, "SIGTERM to",
            () => System.Diagnostics.Process.Start("kill", ["-TERM", cluster.ProcessIdOf(1).ToString()])!.WaitForExit());
        Assert.NotEmpty(failures);
        Assert.Contains("silo-1 left the cluster", failures[0]);
        Assert.Equal(0, await cluster.WaitForExitAsync(1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        AssertBitIdentical(local, latents, "after SIGTERM of a silo process");
    }

    /// <summary>Two stories share three silo processes when one is killed: each notices, and both complete bit-identical.</summary>
    [Fact]
    public async Task SiloProcessKilledUnderTwoStories_BothCompleteBitIdentical()
    {
        var stories = new[] { Story("story-two-a", 6, 4, 31), Story("story-two-b", 5, 4, 32) };
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        int killed = 0;
        var results = await Task.WhenAll(stories.Select(s =>
            Render(cluster.Grains, s.Job, p => { if (p.Step == 1 && Interlocked.Exchange(ref killed, 1) == 0) cluster.Kill(1); })));
        Assert.Equal(1, killed);
        for (int i = 0; i < stories.Length; i++) AssertBitIdentical(stories[i].Local, results[i], stories[i].Job.StoryId);
    }

    /// <summary>
    /// A silo that holds none of a story's segments dies while it renders: the membership declares it dead, and the story
    /// carries on where it is, with no redo.
    /// </summary>
    [Fact]
    public async Task SiloOutsideThePlacementDies_TheStoryCarriesOnWithoutARedo()
    {
        // Two segments on three silos of equal capacity: silo-0 and silo-1 take one each, silo-2 none. Enough steps to
        // outlast the membership's failure detection (under 15 s, KilledSilo_IsDeclaredDeadWithinSeconds). 300 steps
        // took 12 min on 2 cores with the 4-block shipped model (a step's scan hand-offs grow with the depth), most of
        // the cluster tests' time.
        var (local, job) = Story("story-bystander", 2, 60, 17);
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        var failures = new List<string>();
        var silos = new HashSet<string>();
        int killed = 0, afterDeath = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        float[] latents = await Render(cluster.Grains, job, p =>
        {
            if (Interlocked.Exchange(ref killed, 1) == 0) cluster.Kill(2);
            else if (cluster.StateOf(2) == ProcessCluster.SiloState.Dead) afterDeath = 1;   // the story went on after it
            if (p.Phase.StartsWith("silo failure")) lock (failures) failures.Add(p.Phase);
            if (p.Segment >= 0) lock (silos) silos.Add(p.Silo);
        });
        output.WriteLine($"rendered in {clock.Elapsed.TotalSeconds:N1} s; silo-2 is {cluster.StateOf(2)}");
        Assert.Equal(1, afterDeath);   // silo-2 was declared dead while the story ran, and it carried on
        Assert.DoesNotContain("silo-2", silos);
        Assert.Empty(failures);
        AssertBitIdentical(local, latents, "with a bystander silo dying");
    }

    /// <summary>
    /// A silo that hangs (SIGSTOP: its connections stay open, nothing answers) mid-render: the membership's probes declare
    /// it dead within seconds, the step in flight is given up at once rather than at the calls' deadline, and the story
    /// completes on the survivors with the same bits.
    /// </summary>
    [Fact]
    public async Task SiloHungMidRender_IsDeclaredDeadAndTheStoryCompletesBitIdentical()
    {
        var (local, job) = Story("story-hang", 7, 4, 13);
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        var failures = new List<string>();
        int stopped = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        float[] latents = await Render(cluster.Grains, job, p =>
        {
            if (p.Step == 1 && Interlocked.Exchange(ref stopped, 1) == 0)
                System.Diagnostics.Process.Start("kill", ["-STOP", cluster.ProcessIdOf(1).ToString()])!.WaitForExit();
            if (p.Phase.StartsWith("silo failure")) lock (failures) failures.Add(p.Phase);
        }).WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"hung silo-1 during step 2; finished after {clock.Elapsed.TotalSeconds:N1} s; coordinator said: {string.Join(" | ", failures)}");
        Assert.Equal(1, stopped);
        Assert.NotEmpty(failures);
        Assert.Equal(ProcessCluster.SiloState.Dead, cluster.StateOf(1));
        AssertBitIdentical(local, latents, "after a silo hung");
    }

    /// <summary>A killed silo process is declared dead by Orleans' membership in about a second (tuned probes), the other stays.</summary>
    [Fact]
    public async Task KilledSilo_IsDeclaredDeadWithinSeconds()
    {
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 2, CancellationToken.None);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        cluster.Kill(0);
        while (cluster.StateOf(0) != ProcessCluster.SiloState.Dead && clock.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(20);
        output.WriteLine($"declared dead {clock.Elapsed.TotalSeconds:N2} s after SIGKILL");
        Assert.Equal(ProcessCluster.SiloState.Dead, cluster.StateOf(0));
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 6);
        Assert.Equal(ProcessCluster.SiloState.Alive, cluster.StateOf(1));
        Assert.Equal(["silo-1"], cluster.Silos);
    }

    [Fact]
    public async Task SiloAddedAfterOneDied_TakesPartInTheNextStory()
    {
        var (local, job) = Story("story-join", 5, 2, 8);
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 2, CancellationToken.None);
        cluster.Kill(1);
        var until = DateTime.UtcNow.AddSeconds(15);
        while (cluster.StateOf(1) != ProcessCluster.SiloState.Dead && DateTime.UtcNow < until) await Task.Delay(20);
        Assert.Equal(ProcessCluster.SiloState.Dead, cluster.StateOf(1));
        string joined = await cluster.AddSiloAsync(CancellationToken.None);
        Assert.Equal("silo-2", joined);
        Assert.Equal(["silo-0", "silo-2"], cluster.Silos.Order());

        float[] latents = await Render(cluster.Grains, job);
        AssertBitIdentical(local, latents, "on a silo that joined after another died");
        var silo = await cluster.Grains.GetGrain<ISiloGrain>(joined).GetStatusAsync(CancellationToken.None);
        Assert.Equal(joined, silo.SiloName);
        var segments = await SegmentsWhen(cluster.Grains.GetGrain<IStoryGrain>(job.StoryId), s => s.Length == 5);
        Assert.Contains(joined, segments.Select(s => s.Silo));   // it did work
    }

    /// <summary>An in-process silo killed mid-render (no goodbye): the membership declares it dead, the step is redone.</summary>
    [Fact]
    public async Task InProcessSiloKilledMidRender_StoryCompletesBitIdentical()
    {
        var (local, job) = Story("story-kill-in-process", 5, 3, 3);
        await using var cluster = await StartSilos(3);
        int events = 0;
        var failures = new List<string>();
        float[] latents = await Render(cluster.GrainsOfPrimary(), job, p =>
        {
            if (Interlocked.Increment(ref events) == 30) _ = cluster.KillSiloAsync(cluster.Silos[2]);
            if (p.Phase.StartsWith("silo failure")) lock (failures) failures.Add(p.Phase);
        });
        Assert.NotEmpty(failures);
        AssertBitIdentical(local, latents, "after killing an in-process silo");
    }

    /// <summary>
    /// An in-process silo shut down mid-render (what SIGTERM does to ttt-silo): it leaves the membership at once, so the
    /// coordinator moves its segments without waiting for failure detection.
    /// </summary>
    [Fact]
    public async Task InProcessSiloShutDownMidRender_StoryCompletesBitIdentical()
    {
        var (local, job) = Story("story-leave", 5, 3, 4);
        await using var cluster = await StartSilos(3);
        int events = 0;
        var failures = new List<string>();
        float[] latents = await Render(cluster.GrainsOfPrimary(), job, p =>
        {
            if (Interlocked.Increment(ref events) == 30) _ = cluster.StopSiloAsync(cluster.Silos[1]);
            if (p.Phase.StartsWith("silo failure")) lock (failures) failures.Add(p.Phase);
        });
        Assert.NotEmpty(failures);
        Assert.Contains("left the cluster", failures[0]);
        AssertBitIdentical(local, latents, "after a silo left");
    }

    /// <summary>Several stories at once share the silos: each coordinator's idle silos serve the others' segments.</summary>
    [Fact]
    public async Task ConcurrentStories_ShareSilosAndStayBitIdentical()
    {
        var stories = new[] { Story("story-a", 4, 2, 1), Story("story-b", 3, 2, 2), Story("story-c", 5, 2, 3) };
        await using var cluster = await StartSilos(3);
        var results = await Task.WhenAll(stories.Select(s => Render(cluster.GrainsOfPrimary(), s.Job)));
        for (int i = 0; i < stories.Length; i++) AssertBitIdentical(stories[i].Local, results[i], stories[i].Job.StoryId);
    }
}
