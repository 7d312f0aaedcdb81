using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using TttCluster.Abstractions;
using TttCluster.Model;

namespace TttCluster.Grains.Tests;

/// <summary>What the cluster tests share: the shipped model, Orleans test clusters, bit-for-bit comparison, waiting on a story.</summary>
internal static class ClusterTestKit
{
    public static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors");

    private static readonly Lazy<ModelBundle> s_model = new(() => ModelBundle.Load(ModelPath));
    public static ModelBundle TinyModel => s_model.Value;

    /// <summary>
    /// <paramref name="silos"/> Orleans silos in this process (InProcessTestCluster), each configured as every farm silo
    /// is (<see cref="SiloSetup.Configure"/>), named as the test cluster names them ("Silo_0", "Silo_1", ...).
    /// </summary>
    public static async Task<InProcessTestCluster> StartSilos(int silos)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((options, silo) => SiloSetup.Configure(silo, TinyModel, name: null, capacity: 1));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Grain calls from the primary silo: coordinators activate there, so stopping another silo never takes one down.</summary>
    public static IGrainFactory GrainsOfPrimary(this InProcessTestCluster cluster) =>
        cluster.Silos[0].ServiceProvider.GetRequiredService<IGrainFactory>();

    public static Task<float[]> Render(IGrainFactory grains, StoryJob job, Action<SegmentProgress>? progress = null) =>
        ClusterRender.RenderAsync(grains, job, progress is null ? null : new CallbackProgress(progress), CancellationToken.None);

    public static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: latent element {i} is {actual[i]:R}, the local executor gives {expected[i]:R}");
    }

    /// <summary>The story grain's view of its segments once <paramref name="done"/> holds (silos report in batches), or after 10 s.</summary>
    public static async Task<SegmentProgress[]> SegmentsWhen(IStoryGrain story, Func<SegmentProgress[], bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        SegmentProgress[] segments;
        while (!done(segments = await story.GetSegmentsAsync(CancellationToken.None)) && DateTime.UtcNow < until) await Task.Delay(10);
        return segments;
    }
}

/// <summary>Progress that runs the callback on the reporting thread.</summary>
internal sealed class CallbackProgress(Action<SegmentProgress> report) : IProgress<SegmentProgress>
{
    public void Report(SegmentProgress value) => report(value);
}
