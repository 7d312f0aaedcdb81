using TttCluster.Model.Sampling;
using TttCluster.Model.Weights;

namespace TttCluster.Model.Tests.Weights;

/// <summary>The <c>ttt_sampler</c> metadata (a model's own sampler defaults): read exactly, refused clearly when malformed.</summary>
public class SamplerDefaultsTests
{
    [Fact]
    public void FromMetadata_ReadsEveryField()
    {
        var s = SamplerSettings.FromMetadata("""{"steps":30,"guidance":2.5,"guidancePower":1}""", "m.safetensors");

        Assert.Equal(new SamplerSettings(30, 2.5, 1.0), s);
        Assert.Equal("30 steps, guidance 2.5 (power 1.0)", s.Describe());
    }

    [Theory]
    [InlineData("{", "expected JSON, found text that is not")]
    [InlineData("""{"steps":20,"guidance":2}""", "guidancePower: expected a field, found none")]
    [InlineData("""{"steps":0,"guidance":2,"guidancePower":1}""", "steps: expected a whole number from 1 to 200, found 0")]
    [InlineData("""{"steps":20.5,"guidance":2,"guidancePower":1}""", "steps: expected a whole number from 1 to 200, found 20.5")]
    [InlineData("""{"steps":20,"guidance":31,"guidancePower":1}""", "guidance: expected a number from 0 to 30, found 31")]
    [InlineData("""{"steps":20,"guidance":"2","guidancePower":1}""", "guidance: expected a number from 0 to 30, found \"2\"")]
    [InlineData("""{"steps":20,"guidance":2,"guidancePower":-1}""", "guidancePower: expected a number from 0 to 10, found -1")]
    public void FromMetadata_MalformedEntry_NamesTheFieldExpectedAndFound(string json, string message)
    {
        var e = Assert.Throws<WeightsFileException>(() => SamplerSettings.FromMetadata(json, "m.safetensors"));

        Assert.Contains("ttt_sampler", e.Message);
        Assert.Contains(message, e.Message);
        Assert.Contains("m.safetensors", e.Message);
    }
}
