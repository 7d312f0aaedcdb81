using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using static TttCluster.Grains.Tests.ClusterTestKit;

namespace TttCluster.Grains.Tests;

/// <summary>Real ttt-silo processes on loopback: bit-identical results, and bad calls that fail clearly.</summary>
public class ProcessClusterTests
{
    private static (RenderRequest Request, StoryJob Job) Story(string id, int scenes)
    {
        var request = new RenderRequest(Enumerable.Range(0, scenes).Select(k => new SceneText($"Scene {k}: the chase goes on.")).ToArray(),
            5, new SamplerSettings(2, 4.0, 1.0));
        return (request, new LatentSampler(TinyModel).CreateJob(id, request));
    }

    [Fact]
    public async Task ThreeSiloProcesses_GiveTheLocalExecutorsBits()
    {
        var (request, job) = Story("story-p", 7);
        float[] local = new LatentSampler(TinyModel).Sample(request, null, null, CancellationToken.None);
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 3, CancellationToken.None);
        var events = new System.Collections.Concurrent.ConcurrentBag<SegmentProgress>();
        float[] distributed = await Render(cluster.Grains, job, events.Add);
        AssertBitIdentical(local, distributed, "3 silo processes");

        // Progress came from the silos themselves, for every segment and phase, naming the silo that ran it.
        var fromSegments = events.Where(e => e.Segment >= 0).ToArray();   // segment −1: the coordinator's "step done"
        Assert.NotEmpty(fromSegments);
        Assert.Equal([0, 1], events.Where(e => e.Segment < 0 && e.Phase == "step done").Select(e => e.Step).Order());
        Assert.Subset(events.Select(e => e.Phase).ToHashSet(), new HashSet<string> { "attention", "forward scan", "reverse scan", "mlp" });
        // The story grain knows where each segment is (the last step's events may still be on their way: wait a little).
        var segments = await SegmentsWhen(cluster.Grains.GetGrain<IStoryGrain>(job.StoryId), s => s.All(p => p is { Phase: "step done", Step: 1 }));
        Assert.Equal(Enumerable.Range(0, 7), segments.Select(s => s.Segment));
        Assert.All(segments, s => Assert.Equal(("step done", 1), (s.Phase, s.Step)));
        Assert.Equal(["silo-0", "silo-1", "silo-2"], segments.Select(s => s.Silo).Distinct().Order());
    }

    /// <summary>
    /// Azure Table clustering against a real Azurite: the silo processes find each other through Orleans' membership table
    /// there (no primary), render with the local executor's bits, and a killed one is declared dead in the table.
    /// </summary>
    [Fact]
    public async Task SiloProcessesClusteredThroughAzureTableStorage_GiveTheLocalExecutorsBits()
    {
        await using var azurite = await TttCluster.Storage.Tests.AzuriteProcess.StartAsync();
        var (request, job) = Story("story-azure", 5);
        float[] local = new LatentSampler(TinyModel).Sample(request, null, null, CancellationToken.None);
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 2, CancellationToken.None, storage: azurite.ConnectionString);
        AssertBitIdentical(local, await Render(cluster.Grains, job), "2 silo processes clustered through Azure Table storage");

        // The membership table is really in Azurite: one row per silo (the version row aside), this process's among them.
        var table = new Azure.Data.Tables.TableServiceClient(azurite.ConnectionString).GetTableClient("OrleansSiloInstances");
        var rows = table.QueryAsync<Azure.Data.Tables.TableEntity>().ToBlockingEnumerable().ToArray();
        var names = rows.Select(r => r.GetString("SiloName")).Where(n => n is not null).Order().ToArray();
        Assert.Equal([ProcessCluster.CoordinatorSiloName, "silo-0", "silo-1"], names);
        // And a second render after a silo died: the membership (through the table) declares it dead, the story uses the other.
        cluster.Kill(0);
        var until = DateTime.UtcNow.AddSeconds(15);
        while (cluster.StateOf(0) != ProcessCluster.SiloState.Dead && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.Equal(ProcessCluster.SiloState.Dead, cluster.StateOf(0));
        AssertBitIdentical(local, await Render(cluster.Grains, job with { StoryId = "story-azure-2" }), "on the surviving silo");
    }

    private static System.Diagnostics.Process StartSilo(params string[] arguments)
    {
        string[] parent = arguments.Contains("--parent-pid") ? [] : ["--parent-pid", Environment.ProcessId.ToString()];
        string[] model = arguments.Contains("--model") ? [] : ["--model", ModelPath];
        return System.Diagnostics.Process.Start(ProcessCluster.SiloStartInfo([.. model, .. parent, .. arguments]))!;
    }

    /// <summary>
    /// A silo alone (its own primary) on another address than 127.0.0.1, as on a LAN: it says where it joined, and an
    /// Orleans client reaches its silo grain through the gateway port it printed.
    /// </summary>
    [Fact]
    public async Task SiloListensOnTheAddressItIsGivenAndServesClients()
    {
        using var silo = StartSilo("--name", "lan", "--listen", "127.0.0.2");
        try
        {
            string line = (await silo.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
            var match = System.Text.RegularExpressions.Regex.Match(line, @"^ttt-silo lan joined cluster ttt at 127\.0\.0\.2:\d+ \(gateway (\d+)\)$");
            Assert.True(match.Success, line);
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.UseOrleansClient(client => client.UseStaticClustering(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.2"), int.Parse(match.Groups[1].Value)))
                .Configure<Orleans.Configuration.ClusterOptions>(o => { o.ClusterId = SiloSetup.DefaultClusterId; o.ServiceId = SiloSetup.DefaultServiceId; }));
            using var host = builder.Build();
            await host.StartAsync();
            var grains = host.Services.GetRequiredService<IClusterClient>();
            var status = await grains.GetGrain<ISiloGrain>("lan").GetStatusAsync(CancellationToken.None);
            Assert.Equal(("lan", 1, 0), (status.SiloName, status.Capacity, status.ActiveSegments));
            Assert.Empty(status.Stories);
            await host.StopAsync();
        }
        finally
        {
            silo.Kill(entireProcessTree: true);
        }
    }

    [Theory]
    [InlineData("--silo-port", "abc", "--silo-port: expected an integer from 0 to 65535, found 'abc'")]
    [InlineData("--listen", "my-laptop", "--listen: expected an IP address")]
    [InlineData("--listen", "0.0.0.0", "--advertise: expected the address other silos reach this one at")]
    [InlineData("--capacity", "-1", "--capacity: expected an integer from 0 to 1024, found '-1'")]
    [InlineData("--primary", "localhost", "--primary: expected the primary silo's IP:PORT (127.0.0.1:11111), found 'localhost'")]
    [InlineData("--parent-pid", "abc", "--parent-pid: expected an integer from 1 to 2147483647, found 'abc'")]
    [InlineData("--colour", "red", "expected one of --model, --name")]
    [InlineData("--model", "/no/such/model.safetensors", "--model:")]
    public async Task SiloWithABadArgument_SaysWhichAndExits(string name, string value, string message)
    {
        using var silo = StartSilo(name, value);
        string error = await silo.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await silo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, silo.ExitCode);
        Assert.Contains($"ttt-silo: {message}", error);
    }

    /// <summary>SIGTERM (a rolling update, a scale-down): the silo leaves the membership at once and exits 0, no failure detection needed.</summary>
    [Fact]
    public async Task SiloGivenSigterm_LeavesTheClusterCleanly()
    {
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 2, CancellationToken.None);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        System.Diagnostics.Process.Start("kill", ["-TERM", cluster.ProcessIdOf(1).ToString()])!.WaitForExit();
        while (cluster.StateOf(1) != ProcessCluster.SiloState.Dead && clock.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(20);
        Assert.Equal(ProcessCluster.SiloState.Dead, cluster.StateOf(1));
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 3);   // it said goodbye: no probes had to miss
        Assert.Equal(0, await cluster.WaitForExitAsync(1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(["silo-0"], cluster.Silos);
    }
}
