using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using TttCluster.Runtime;
using TttCluster.Runtime.Transport;
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
        float[] distributed = await cluster.Grains.GetGrain<ICoordinatorGrain>(job.StoryId).RenderLatentsAsync(job, new CallbackProgress(events.Add), CancellationToken.None);
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

    /// <summary>A raw connection to a silo's grain port, speaking the frame protocol by hand.</summary>
    private static async Task<System.Net.Sockets.NetworkStream> ConnectRaw(Uri grainAddress)
    {
        var tcp = new System.Net.Sockets.TcpClient { NoDelay = true };
        await tcp.ConnectAsync(grainAddress.Host, grainAddress.Port);
        return tcp.GetStream();
    }

    private static byte[] FrameBytes(FrameKind kind, long id, byte[] body)
    {
        var frame = new byte[FrameConnection.HeaderBytes + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        frame[4] = (byte)kind;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(5), id);
        body.CopyTo(frame, FrameConnection.HeaderBytes);
        return frame;
    }

    private static byte[] CallBody(string grain, string method, string key, byte[] args) =>
        [.. BinaryCodec.Serialize([grain, method, key], [typeof(string), typeof(string), typeof(string)]), .. args];

    private static async Task<(FrameKind Kind, long Id, byte[] Body)> ReadFrame(System.Net.Sockets.NetworkStream stream)
    {
        var header = new byte[FrameConnection.HeaderBytes];
        await stream.ReadExactlyAsync(header).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        var body = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(header)];
        await stream.ReadExactlyAsync(body).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        return ((FrameKind)header[4], System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(5)), body);
    }

    private static string FailureMessage(byte[] body) => (string)BinaryCodec.Deserialize(body.AsSpan(1), [typeof(string)])[0]!;

    [Fact]
    public async Task MalformedFrame_GetsAClearFailureAndTheConnectionCarriesOn()
    {
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 1, CancellationToken.None);
        using var stream = await ConnectRaw(cluster.GrainAddresses[0]);

        // Arguments of InitializeAsync truncated to three bytes.
        await stream.WriteAsync(FrameBytes(FrameKind.Call, 7, CallBody("ISegmentGrain", "InitializeAsync", "s/0", [1, 2, 3])));
        var (kind, id, body) = await ReadFrame(stream);
        Assert.Equal((FrameKind.Failure, 7L), (kind, id));
        Assert.Equal(FailureReason.Malformed, (FailureReason)body[0]);
        Assert.Contains("malformed frame", FailureMessage(body));

        // An unknown interface: named in the answer.
        await stream.WriteAsync(FrameBytes(FrameKind.Call, 8, CallBody("IBogusGrain", "RunAsync", "x", [])));
        (kind, id, body) = await ReadFrame(stream);
        Assert.Equal((FrameKind.Failure, 8L, FailureReason.NotFound), (kind, id, (FailureReason)body[0]));
        Assert.Contains("IBogusGrain", FailureMessage(body));

        // The same connection still serves a good call.
        await stream.WriteAsync(FrameBytes(FrameKind.Call, 9, CallBody("ISiloGrain", "GetStatusAsync", "silo-0", [])));
        (kind, id, body) = await ReadFrame(stream);
        Assert.Equal((FrameKind.Result, 9L), (kind, id));
        var status = (SiloStatus)BinaryCodec.Deserialize(body, [typeof(SiloStatus)])[0]!;
        Assert.Equal("silo-0", status.SiloId);
    }

    [Fact]
    public async Task HugeDeclaredFrame_ClosesThatConnectionOnly()
    {
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 1, CancellationToken.None);
        using (var stream = await ConnectRaw(cluster.GrainAddresses[0]))
        {
            var header = FrameBytes(FrameKind.Call, 1, []);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header, 2_000_000_000);
            await stream.WriteAsync(header);
            int read = await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, read);   // closed, nothing allocated for 2 GB
        }
        var silo = cluster.Grains.GetGrain<ISiloGrain>("silo-0");
        Assert.Equal("silo-0", (await silo.GetStatusAsync(CancellationToken.None)).SiloId);
        using var http = new HttpClient();
        Assert.Equal("ok", await http.GetStringAsync(new Uri(cluster.Addresses[0], "health")));
    }

    private static System.Diagnostics.Process StartSilo(params string[] arguments)
    {
        string[] parent = arguments.Contains("--parent-pid") ? [] : ["--parent-pid", Environment.ProcessId.ToString()];
        return System.Diagnostics.Process.Start(ProcessCluster.SiloStartInfo(["--model", ModelPath, .. parent, .. arguments]))!;
    }

    /// <summary>A silo can serve on another address than loopback's 127.0.0.1 (a LAN address, in a real cluster).</summary>
    [Fact]
    public async Task SiloListensAndAdvertisesTheAddressItIsGiven()
    {
        using var silo = StartSilo("--id", "lan", "--listen", "127.0.0.2");
        try
        {
            string line = (await silo.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
            Assert.Matches(@"^ttt-silo lan listening on http://127\.0\.0\.2:\d+/ grains on tcp://127\.0\.0\.2:\d+/$", line);
            var http = new Uri(line.Split(' ')[4]);
            using var client = new HttpClient();
            Assert.Equal("ok", await client.GetStringAsync(new Uri(http, "health")));
            var grains = new Uri(line.Split(' ')[7]);
            var factory = new RoutedGrainFactory(new InProcessCluster(), new SocketGrainInvoker(TimeSpan.FromSeconds(30)));
            factory.Route(typeof(ISiloGrain), "lan", grains);
            Assert.Equal("lan", (await factory.GetGrain<ISiloGrain>("lan").GetStatusAsync(CancellationToken.None)).SiloId);
        }
        finally
        {
            silo.Kill(entireProcessTree: true);
        }
    }

    [Theory]
    [InlineData("--port", "abc", "--port: expected an integer from 0 to 65535, found 'abc'")]
    [InlineData("--listen", "my-laptop", "--listen: expected an IP address")]
    [InlineData("--capacity", "0", "--capacity: expected an integer from 1 to 1024, found '0'")]
    [InlineData("--parent-pid", "abc", "--parent-pid: expected an integer from 1 to 2147483647, found 'abc'")]
    public async Task SiloWithABadArgument_SaysWhichAndExits(string name, string value, string message)
    {
        using var silo = StartSilo(name, value);
        string error = await silo.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await silo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, silo.ExitCode);
        Assert.Contains($"ttt-silo: {message}", error);
    }

    [Fact]
    public async Task CallToAKilledSilo_FailsClearlyWithoutHanging()
    {
        await using var cluster = await ProcessCluster.StartAsync(TinyModel, ModelPath, 2, CancellationToken.None);
        await cluster.PlaceAsync("unused", new Dictionary<string, string> { ["story-k/0"] = "silo-1" }, CancellationToken.None);
        cluster.Kill(1);
        var e = await Assert.ThrowsAsync<GrainCallException>(() => cluster.Grains.GetGrain<ISegmentGrain>("story-k/0").GetLatentsAsync(CancellationToken.None));
        Assert.Contains("unreachable", e.Message);
        Assert.Contains("ISegmentGrain.GetLatentsAsync", e.Message);
    }
}
