using System.Net;
using TttCluster.Abstractions;
using TttCluster.Runtime;
using TttCluster.Runtime.Transport;

namespace TttCluster.Grains.Tests;

/// <summary>The grain connection between processes (a real TCP server and client on loopback) and its binary codec.</summary>
public class TransportTests
{
    /// <summary>A silo grain whose status call waits until cancelled (or answers at once for keys starting with "fast"),
    /// or fails (keys starting with "bad"): enough behaviour to test the wire.</summary>
    private sealed class ScriptedSilo(string key, TaskCompletionSource started, TaskCompletionSource cancelled) : ISiloGrain
    {
        public async Task<SiloStatus> GetStatusAsync(CancellationToken cancel)
        {
            if (key.StartsWith("fast")) return new SiloStatus(key, key.Length, 0);
            if (key.StartsWith("bad")) throw new InvalidOperationException($"grain {key} refuses");
            started.TrySetResult();
            try { await Task.Delay(Timeout.Infinite, cancel); }
            catch (OperationCanceledException) { cancelled.TrySetResult(); throw; }
            return new SiloStatus(key, 0, 0);
        }

        public Task BeginStepAsync(string storyId, IReadOnlyList<int> segments, StepStart start, CancellationToken cancel) => throw new NotSupportedException("not scripted");
        public Task RunPhaseAsync(string storyId, IReadOnlyList<int> segments, SegmentPhase phase, int layer, CancellationToken cancel) => throw new NotSupportedException("not scripted");
        public Task ScanAsync(string storyId, IReadOnlyList<int> segments, int layer, bool reverse, CancellationToken cancel) => throw new NotSupportedException("not scripted");
        public Task<float[]> EndStepAsync(string storyId, IReadOnlyList<int> segments, int lastLayer, StepEnd end, CancellationToken cancel) => throw new NotSupportedException("not scripted");
        public Task ReleaseAsync(string storyId, IReadOnlyList<int> segments, int attempt, CancellationToken cancel) => throw new NotSupportedException("not scripted");
        public Task ForgetStoryAsync(string storyId, int segments, CancellationToken cancel) => throw new NotSupportedException("not scripted");
    }

    /// <summary>A story grain whose progress report holds until the test opens its gate.</summary>
    private sealed class GatedStory(TaskCompletionSource gate, TaskCompletionSource<IReadOnlyList<SegmentProgress>> received) : IStoryGrain
    {
        public async Task ReportProgressAsync(IReadOnlyList<SegmentProgress> events, CancellationToken cancel)
        {
            await gate.Task.WaitAsync(cancel);
            received.TrySetResult(events);
        }

        public Task<StoryStatus> GetStatusAsync(CancellationToken cancel) => Task.FromResult(new StoryStatus("story", "scripted", 0, 0));
        public Task SubmitAsync(StoryJob job, CancellationToken cancel) => throw new NotSupportedException("not scripted");
        public Task ReportAsync(StoryStatus status, CancellationToken cancel) => throw new NotSupportedException("not scripted");
        public Task<IReadOnlyList<SegmentProgress>> GetSegmentsAsync(CancellationToken cancel) => throw new NotSupportedException("not scripted");
    }

    private static readonly TaskCompletionSource StoryGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly TaskCompletionSource<IReadOnlyList<SegmentProgress>> StoryReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static InProcessCluster s_lastServerCluster = null!;

    private static async Task<(GrainSocketServer Server, RoutedGrainFactory Client, TaskCompletionSource Cancelled)> Start(TimeSpan deadline,
        TaskCompletionSource? started = null)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        started ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var silo = new InProcessCluster();
        silo.AddSilo("remote", 1, new ClusterHost.SiloServices(null!));
        silo.Register<ISiloGrain>((key, _) => new ScriptedSilo(key, started, cancelled));
        silo.Register<IStoryGrain>((key, _) => new GatedStory(StoryGate, StoryReceived));
        s_lastServerCluster = silo;
        var server = new GrainSocketServer(silo);
        var address = server.Start(IPAddress.Loopback, 0);
        var client = new RoutedGrainFactory(new InProcessCluster(), new SocketGrainInvoker(deadline));
        foreach (string key in new[] { "slow", "bad" }.Concat(Enumerable.Range(0, 64).Select(i => $"fast-{i}"))) client.Route(typeof(ISiloGrain), key, address);
        client.Route(typeof(IStoryGrain), "story", address);
        client.Route(typeof(IStoryGrain), "never-activated", address);
        await Task.CompletedTask;
        return (server, client, cancelled);
    }

    [Fact]
    public async Task ManyConcurrentCalls_EachGetTheirOwnAnswer()
    {
        var (server, client, _) = await Start(TimeSpan.FromSeconds(30));
        await using var _ = server;
        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => client.GetGrain<ISiloGrain>($"fast-{i}").GetStatusAsync(CancellationToken.None)));
        for (int i = 0; i < 64; i++) Assert.Equal($"fast-{i}", answers[i].SiloId);
    }

    [Fact]
    public async Task OneWayCall_ReturnsOnceSentAndStillRuns()
    {
        var (server, client, _) = await Start(TimeSpan.FromSeconds(30));
        await using var _ = server;
        var story = client.GetGrain<IStoryGrain>("story");
        await story.GetStatusAsync(CancellationToken.None);   // active: a one-way call never activates a grain
        // The grain holds the report until the gate opens, yet the caller is done as soon as the frame is sent.
        await story.ReportProgressAsync([new SegmentProgress("story", 3, 1, 0, "attention", "remote")], CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(StoryReceived.Task.IsCompleted);
        StoryGate.TrySetResult();
        var received = await StoryReceived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((3, "attention", "remote"), (received.Single().Segment, received.Single().Phase, received.Single().Silo));

        // A one-way call to a grain that is not active is dropped, not an activation made for it.
        int before = s_lastServerCluster.LocalSilos[0].ActivationCount;
        await client.GetGrain<IStoryGrain>("never-activated").ReportProgressAsync([], CancellationToken.None);
        await client.GetGrain<ISiloGrain>("fast-5").GetStatusAsync(CancellationToken.None);   // a call after it, answered
        await Task.Delay(200);   // frames are dispatched concurrently: give the push time to have been handled
        Assert.Equal(before + 1, s_lastServerCluster.LocalSilos[0].ActivationCount);   // fast-5 only
        // The server hands the push to the silo's cluster, which decides: there a dropped push has returned by the time
        // its task completes, so this check waits on nothing.
        await s_lastServerCluster.GetGrain<IStoryGrain>("never-activated-either").ReportProgressAsync([], CancellationToken.None);
        Assert.Equal(before + 1, s_lastServerCluster.LocalSilos[0].ActivationCount);
    }

    [Fact]
    public async Task CallPastItsDeadline_FailsClearlyAndTheSiloCancelsIt()
    {
        var (server, client, cancelled) = await Start(TimeSpan.FromMilliseconds(300));
        await using var _ = server;
        await client.GetGrain<ISiloGrain>("fast-0").GetStatusAsync(CancellationToken.None);   // connected: the deadline is all the call's
        var e = await Assert.ThrowsAsync<GrainCallException>(() => client.GetGrain<ISiloGrain>("slow").GetStatusAsync(CancellationToken.None));
        Assert.Contains("ISiloGrain.GetStatusAsync on 'slow'", e.Message);
        Assert.Contains("missed its deadline", e.Message);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));   // the cancel frame reached the grain
        Assert.Equal("fast-1", (await client.GetGrain<ISiloGrain>("fast-1").GetStatusAsync(CancellationToken.None)).SiloId);
    }

    [Fact]
    public async Task CallerCancellation_CancelsTheRemoteCall()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, client, cancelled) = await Start(TimeSpan.FromMinutes(1), started);
        await using var _ = server;
        using var cancel = new CancellationTokenSource();
        var call = client.GetGrain<ISiloGrain>("slow").GetStatusAsync(cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));   // the call is running on the other side
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task GrainThatThrows_FailsWithItsMessage()
    {
        var (server, client, _) = await Start(TimeSpan.FromSeconds(30));
        await using var _ = server;
        var e = await Assert.ThrowsAsync<GrainCallException>(() => client.GetGrain<ISiloGrain>("bad").GetStatusAsync(CancellationToken.None));
        Assert.Contains("InvalidOperationException: grain bad refuses", e.Message);
    }

    [Fact]
    public async Task StoppedServer_GivesUnreachable()
    {
        var (server, client, _) = await Start(TimeSpan.FromSeconds(30));
        await client.GetGrain<ISiloGrain>("fast-2").GetStatusAsync(CancellationToken.None);
        await server.DisposeAsync();
        var e = await Assert.ThrowsAsync<GrainCallException>(() => client.GetGrain<ISiloGrain>("fast-3").GetStatusAsync(CancellationToken.None));
        Assert.Contains("unreachable", e.Message);
    }

    [Fact]
    public void Codec_RoundTripsMessages()
    {
        var outputs = new ScanOutputs(3, 1, true, 5, 40, 8, [1.5f, -0f, float.NaN, float.MaxValue], 2);
        var job = new StoryJob("s", 2, [1, 2], [3], [], 20, 4.5, 1.0);
        var values = BinaryCodec.Deserialize(BinaryCodec.Serialize([outputs, job, (byte[]?)null, new[] { "a", "ü" }],
            [typeof(ScanOutputs), typeof(StoryJob), typeof(byte[]), typeof(IReadOnlyList<string>)]),
            [typeof(ScanOutputs), typeof(StoryJob), typeof(byte[]), typeof(IReadOnlyList<string>)]);
        var back = (ScanOutputs)values[0]!;
        Assert.Equal((3, 1, true, 5, 40, 8, 2), (back.Segment, back.Layer, back.Reverse, back.Group, back.FirstPosition, back.Count, back.Attempt));
        Assert.Equal(outputs.Output.Select(BitConverter.SingleToInt32Bits), back.Output.Select(BitConverter.SingleToInt32Bits));
        var jobBack = (StoryJob)values[1]!;
        Assert.Equal((job.StoryId, job.Segments, job.Steps, job.Guidance), (jobBack.StoryId, jobBack.Segments, jobBack.Steps, jobBack.Guidance));
        Assert.Null(values[2]);
        Assert.Equal(["a", "ü"], (IReadOnlyList<string>)values[3]!);
    }

    [Fact]
    public void Codec_RejectsEveryTruncationAndBadValueWithAFormatException()
    {
        Type[] types = [typeof(ScanOutputs)];
        byte[] good = BinaryCodec.Serialize([new ScanOutputs(1, 0, false, 0, 0, 2, new float[32], 0)], types);
        for (int length = 0; length < good.Length; length++)
        {
            var e = Assert.Throws<FormatException>(() => BinaryCodec.Deserialize(good.AsSpan(0, length), types));
            Assert.StartsWith("grain message:", e.Message);
        }
        Assert.Throws<FormatException>(() => BinaryCodec.Deserialize([.. good, 0], types));             // left over
        var badBool = (byte[])good.Clone();
        badBool[1 + 4 + 4] = 2;                                                                          // Reverse: not 0/1
        Assert.Contains("bool", Assert.Throws<FormatException>(() => BinaryCodec.Deserialize(badBool, types)).Message);
        var oddFloats = (byte[])good.Clone();
        oddFloats[1 + 4 + 4 + 1 + 4 + 4 + 4] = 3;                                                        // 3 bytes of floats
        Assert.Throws<FormatException>(() => BinaryCodec.Deserialize(oddFloats, types));
        byte[] hugeList = [0xff, 0xff, 0xff, 0x7f];
        Assert.Contains("cannot fit", Assert.Throws<FormatException>(() => BinaryCodec.Deserialize(hugeList, [typeof(IReadOnlyList<string>)])).Message);
    }
}
