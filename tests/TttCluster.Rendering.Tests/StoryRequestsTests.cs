using System.Text;
using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Stories;

namespace TttCluster.Rendering.Tests;

/// <summary>A story's sampler settings: its own where it gives them, the model's defaults where it leaves them out.</summary>
public class StoryRequestsTests
{
    private static readonly Lazy<ModelBundle> s_shipped = new(() => ModelBundle.Load(Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors")));

    private static Story Parse(string settings) => StoryParser.Parse(Encoding.UTF8.GetBytes(
        $"title: t\nseed: 1\n{settings}scenes:\n  - text: \"A red ball on a blue background.\"\n"), "story.yaml", StoryRequests.LimitsFor(s_shipped.Value));

    private static ModelBundle WithDefaults(SamplerSettings? defaults)
    {
        var m = s_shipped.Value;
        return new ModelBundle(m.Dit, m.TextEncoder, m.Decoder, m.IsTrained, m.Training, defaults);
    }

    [Fact]
    public void AStoryWithoutSettings_GetsTheModelsOwnDefaults()
    {
        var model = WithDefaults(new SamplerSettings(30, 2.0, 1.5));

        Assert.Equal(new SamplerSettings(30, 2.0, 1.5), StoryRequests.ToRequest(Parse(""), model).Sampler);
    }

    [Fact]
    public void TheStorysOwnSettings_WinOverTheModels_AndStepsOverrideBoth()
    {
        var model = WithDefaults(new SamplerSettings(30, 2.0, 1.5));

        Assert.Equal(new SamplerSettings(30, 6.0, 1.5), StoryRequests.ToRequest(Parse("settings: { guidance: 6 }\n"), model).Sampler);
        Assert.Equal(new SamplerSettings(5, 2.0, 1.5), StoryRequests.ToRequest(Parse("settings: { steps: 12 }\n"), model, stepsOverride: 5).Sampler);
    }

    [Fact]
    public void AModelThatNamesNoDefaults_GetsTheEngines()
    {
        Assert.Equal(new SamplerSettings(), StoryRequests.ToRequest(Parse(""), WithDefaults(null)).Sampler);
    }
}
