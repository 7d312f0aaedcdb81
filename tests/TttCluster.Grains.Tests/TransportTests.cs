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
        /// <summary>Echoes the segment list as floats (k / 2): frames of any size both ways.</summary>
        public Task<float[]> EndStepAsync(string storyId, IReadOnlyList<int> segments, int lastLayer, StepEnd end, CancellationToken cancel) =>
            Task.FromResult(segments.Select(k => k / 2f).ToArray());
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

    /// <summary>A server (its silo's cluster behind it) and a client routed to it, with the scripted grains' signals.</summary>
    private sealed record Wire(GrainSocketServer Server, RoutedGrainFactory Client, InProcessCluster ServerCluster, TaskCompletionSource Started,
        TaskCompletionSource Cancelled, TaskCompletionSource StoryGate, TaskCompletionSource<IReadOnlyList<SegmentProgress>> StoryReceived);

    private static TaskCompletionSource Signal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Wire Start(TimeSpan deadline)
    {
        var wire = new Wire(null!, null!, new InProcessCluster(), Signal(), Signal(), Signal(),
            new TaskCompletionSource<IReadOnlyList<SegmentProgress>>(TaskCreationOptions.RunContinuationsAsynchronously));
        wire.ServerCluster.AddSilo("remote", 1);
        wire.ServerCluster.Register<ISiloGrain>((key, _) => new ScriptedSilo(key, wire.Started, wire.Cancelled));
        wire.ServerCluster.Register<IStoryGrain>((key, _) => new GatedStory(wire.StoryGate, wire.StoryReceived));
        var server = new GrainSocketServer(wire.ServerCluster);
        var address = server.Start(IPAddress.Loopback, 0);
        var client = new RoutedGrainFactory(new InProcessCluster(), new SocketGrainInvoker(deadline));
        foreach (string key in new[] { "slow", "bad", "echo" }.Concat(Enumerable.Range(0, 64).Select(i => $"fast-{i}"))) client.Route(typeof(ISiloGrain), key, address);
        client.Route(typeof(IStoryGrain), "story", address);
        return wire with { Server = server, Client = client };
    }

    [Fact]
    public async Task ManyConcurrentCalls_EachGetTheirOwnAnswer()
    {
        var wire = Start(TimeSpan.FromSeconds(30));
        await using var _ = wire.Server;
        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => wire.Client.GetGrain<ISiloGrain>($"fast-{i}").GetStatusAsync(CancellationToken.None)));
        for (int i = 0; i < 64; i++) Assert.Equal($"fast-{i}", answers[i].SiloId);
    }

    /// <summary>
    /// Frames far over the first body buffer (1 MB) and the write chunk (1 MB) both ways: 3 million ints out, as many
    /// floats back (12 MB each), every value where it belongs.
    /// </summary>
    [Fact]
    public async Task LargeFrames_ArriveWholeBothWays()
    {
        var wire = Start(TimeSpan.FromSeconds(60));
        await using var _ = wire.Server;
        int[] segments = Enumerable.Range(0, 3_000_000).ToArray();
        float[] echoed = await wire.Client.GetGrain<ISiloGrain>("echo").EndStepAsync("story", segments, 0, new StepEnd(0, 1, 1), CancellationToken.None);
        Assert.Equal(segments.Length, echoed.Length);
        for (int i = 0; i < segments.Length; i += 9_973) Assert.Equal(i / 2f, echoed[i]);
        Assert.Equal((segments.Length - 1) / 2f, echoed[^1]);
    }

    [Fact]
    public async Task OneWayCall_ReturnsOnceSentAndStillRuns()
    {
        var wire = Start(TimeSpan.FromSeconds(30));
        await using var _ = wire.Server;
        var story = wire.Client.GetGrain<IStoryGrain>("story");
        await story.GetStatusAsync(CancellationToken.None);   // active: a one-way call never activates a grain
        // The grain holds the report until the gate opens, yet the caller is done as soon as the frame is sent.
        await story.ReportProgressAsync([new SegmentProgress("story", 3, 1, 0, "attention", "remote")], CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(wire.StoryReceived.Task.IsCompleted);
        wire.StoryGate.TrySetResult();
        var received = await wire.StoryReceived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((3, "attention", "remote"), (received.Single().Segment, received.Single().Phase, received.Single().Silo));

        // A one-way call to a grain that is not active is dropped, not an activation made for it. The server hands every
        // one-way frame to its silo's cluster, which decides; there a dropped push has returned by the time its task
        // completes, so the check waits on nothing (over the wire it could only wait and hope).
        int before = wire.ServerCluster.LocalSilos[0].ActivationCount;
        await wire.ServerCluster.GetGrain<IStoryGrain>("never-activated").ReportProgressAsync([], CancellationToken.None);
        Assert.Equal(before, wire.ServerCluster.LocalSilos[0].ActivationCount);
    }

    [Fact]
    public async Task CallPastItsDeadline_FailsClearlyAndTheSiloCancelsIt()
    {
        var wire = Start(TimeSpan.FromMilliseconds(300));
        await using var _ = wire.Server;
        await wire.Client.GetGrain<ISiloGrain>("fast-0").GetStatusAsync(CancellationToken.None);   // connected: the deadline is all the call's
        var e = await Assert.ThrowsAsync<GrainCallException>(() => wire.Client.GetGrain<ISiloGrain>("slow").GetStatusAsync(CancellationToken.None));
        Assert.Contains("ISiloGrain.GetStatusAsync on 'slow'", e.Message);
        Assert.Contains("missed its deadline", e.Message);
        await wire.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));   // the cancel frame reached the grain
        Assert.Equal("fast-1", (await wire.Client.GetGrain<ISiloGrain>("fast-1").GetStatusAsync(CancellationToken.None)).SiloId);
    }

    [Fact]
    public async Task CallerCancellation_CancelsTheRemoteCall()
    {
        var wire = Start(TimeSpan.FromMinutes(1));
        await using var _ = wire.Server;
        using var cancel = new CancellationTokenSource();
        var call = wire.Client.GetGrain<ISiloGrain>("slow").GetStatusAsync(cancel.Token);
        await wire.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));   // the call is running on the other side
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await wire.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task GrainThatThrows_FailsWithItsMessage()
    {
        var wire = Start(TimeSpan.FromSeconds(30));
        await using var _ = wire.Server;
        var e = await Assert.ThrowsAsync<GrainCallException>(() => wire.Client.GetGrain<ISiloGrain>("bad").GetStatusAsync(CancellationToken.None));
        Assert.Contains("InvalidOperationException: grain bad refuses", e.Message);
    }

    [Fact]
    public async Task StoppedServer_GivesUnreachable()
    {
        var wire = Start(TimeSpan.FromSeconds(30));
        await wire.Client.GetGrain<ISiloGrain>("fast-2").GetStatusAsync(CancellationToken.None);
        await wire.Server.DisposeAsync();
        var e = await Assert.ThrowsAsync<GrainCallException>(() => wire.Client.GetGrain<ISiloGrain>("fast-3").GetStatusAsync(CancellationToken.None));
        Assert.Contains("unreachable", e.Message);
    }

    /// <summary>A grain interface breaking the one-way rule: nobody would wait for its count.</summary>
    public interface IOneWayWithAResult : IGrainWithStringKey
    {
        [OneWay]
        Task<int> CountAsync(CancellationToken cancel);
    }

    [Fact]
    public async Task OneWayMethodWithAResult_IsRefusedByName()
    {
        var cluster = new InProcessCluster();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.GetGrain<IOneWayWithAResult>("x").CountAsync(CancellationToken.None));
        Assert.Equal("IOneWayWithAResult.CountAsync: a [OneWay] grain method must return a plain Task, not Task`1", e.Message);
    }

    [Fact]
    public void AServerOnEveryAddress_AdvertisesTheHostName()
    {
        Assert.Equal(Dns.GetHostName(), GrainSocketServer.DefaultAdvertise(IPAddress.Any));
        Assert.Equal(Dns.GetHostName(), GrainSocketServer.DefaultAdvertise(IPAddress.IPv6Any));
        Assert.Equal("127.0.0.2", GrainSocketServer.DefaultAdvertise(IPAddress.Parse("127.0.0.2")));
        Assert.Equal("::1", GrainSocketServer.DefaultAdvertise(IPAddress.IPv6Loopback));
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
