using System.Net;
using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Rendering;
using TttCluster.Runtime;

namespace TttCluster.Grains.Tests;

/// <summary>Real ttt-silo processes on loopback: bit-identical results, and bad calls that fail clearly.</summary>
public class ProcessClusterTests
{
    private static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors");
    private static readonly Lazy<ModelBundle> s_model = new(() => ModelBundle.Load(ModelPath));

    private static (RenderRequest Request, StoryJob Job) Story(string id, int scenes)
    {
        var request = new RenderRequest(Enumerable.Range(0, scenes).Select(k => new SceneText($"Scene {k}: the chase goes on.")).ToArray(),
            5, new SamplerSettings(2, 4.0, 1.0));
        return (request, new LatentSampler(s_model.Value).CreateJob(id, request));
    }

    [Fact]
    public async Task ThreeSiloProcesses_GiveTheLocalExecutorsBits()
    {
        var (request, job) = Story("story-p", 7);
        float[] local = new LatentSampler(s_model.Value).Sample(request, null, null, CancellationToken.None);
        await using var cluster = await ProcessCluster.StartAsync(s_model.Value, ModelPath, 3, CancellationToken.None);
        float[] distributed = await cluster.Grains.GetGrain<ICoordinatorGrain>(job.StoryId).RenderLatentsAsync(job, null, CancellationToken.None);
        for (int i = 0; i < local.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(local[i]) == BitConverter.SingleToInt32Bits(distributed[i]),
                $"3 silo processes: latent element {i} is {distributed[i]:R}, the local executor gives {local[i]:R}");
    }

    [Fact]
    public async Task MalformedFrame_IsRejectedAndTheSiloCarriesOn()
    {
        await using var cluster = await ProcessCluster.StartAsync(s_model.Value, ModelPath, 1, CancellationToken.None);
        using var http = new HttpClient();
        var silo = cluster.Addresses[0];
        using var response = await http.PostAsync(new Uri(silo, "grains/ISegmentGrain/InitializeAsync?key=s/0"), new ByteArrayContent([1, 2, 3]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("malformed frame", await response.Content.ReadAsStringAsync());
        Assert.Equal("ok", await http.GetStringAsync(new Uri(silo, "health")));
    }

    [Fact]
    public async Task HugeDeclaredBody_IsRefusedBeforeAllocating()
    {
        await using var cluster = await ProcessCluster.StartAsync(s_model.Value, ModelPath, 1, CancellationToken.None);
        var silo = cluster.Addresses[0];
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(silo.Host, silo.Port);
        var stream = tcp.GetStream();
        byte[] request = System.Text.Encoding.ASCII.GetBytes(
            $"POST /grains/ISegmentGrain/InitializeAsync?key=s/0 HTTP/1.1\r\nHost: {silo.Authority}\r\nContent-Length: 2000000000\r\n\r\n");
        await stream.WriteAsync(request);
        var buffer = new byte[256];
        int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        string status = System.Text.Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
        Assert.True(status.Contains(" 400 ") || status.Contains(" 413 "), $"expected 400 or 413, got '{status}'");
        using var http = new HttpClient();
        Assert.Equal("ok", await http.GetStringAsync(new Uri(silo, "health")));
    }

    [Fact]
    public async Task CallToAKilledSilo_FailsClearlyWithoutHanging()
    {
        await using var cluster = await ProcessCluster.StartAsync(s_model.Value, ModelPath, 2, CancellationToken.None);
        await cluster.PlaceAsync(new Dictionary<string, string> { ["story-k/0"] = "silo-1" }, CancellationToken.None);
        cluster.Kill(1);
        var e = await Assert.ThrowsAsync<GrainCallException>(() => cluster.Grains.GetGrain<ISegmentGrain>("story-k/0").GetLatentsAsync(CancellationToken.None));
        Assert.Contains("unreachable", e.Message);
        Assert.Contains("ISegmentGrain.GetLatentsAsync", e.Message);
    }
}
