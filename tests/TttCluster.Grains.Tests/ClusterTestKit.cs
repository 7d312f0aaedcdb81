using TttCluster.Abstractions;
using TttCluster.Model;

namespace TttCluster.Grains.Tests;

/// <summary>What the cluster tests share: the shipped model, bit-for-bit comparison, progress callbacks, waiting on a story.</summary>
internal static class ClusterTestKit
{
    public static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors");

    private static readonly Lazy<ModelBundle> s_model = new(() => ModelBundle.Load(ModelPath));
    public static ModelBundle TinyModel => s_model.Value;

    public static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: latent element {i} is {actual[i]:R}, the local executor gives {expected[i]:R}");
    }

    /// <summary>The story grain's view of its segments once <paramref name="done"/> holds (silos report in batches), or after 10 s.</summary>
    public static async Task<IReadOnlyList<SegmentProgress>> SegmentsWhen(IStoryGrain story, Func<IReadOnlyList<SegmentProgress>, bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        IReadOnlyList<SegmentProgress> segments;
        while (!done(segments = await story.GetSegmentsAsync(CancellationToken.None)) && DateTime.UtcNow < until) await Task.Delay(10);
        return segments;
    }
}

/// <summary>Progress that runs the callback on the reporting thread.</summary>
internal sealed class CallbackProgress(Action<SegmentProgress> report) : IProgress<SegmentProgress>
{
    public void Report(SegmentProgress value) => report(value);
}
