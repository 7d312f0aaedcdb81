namespace TttCluster.Model.Tests;

public class ModelConfigTests
{
    [Fact]
    public void Presets_AreValid()
    {
        ModelConfig.Tiny().Validate();
        var big = ModelConfig.CogVideoX5B().Validate();
        Assert.Equal(351_168, new SequenceLayout(big, 21).TotalTokens);   // TTT_SPEC §2.1, 63 s
        Assert.Equal(1350, big.TokensPerFrame);
    }

    [Theory]
    [InlineData("HeadDim", "a multiple of 16")]
    [InlineData("Width", "Heads · HeadDim")]
    [InlineData("MiniBatch", "at most the 136 tokens")]
    [InlineData("LatentWidth", "a multiple of Patch")]
    public void Validate_NamesFieldExpectedAndFound(string field, string expected)
    {
        var tiny = ModelConfig.Tiny();
        var bad = field switch
        {
            "HeadDim" => tiny with { HeadDim = 24, Width = 96 },
            "Width" => tiny with { Width = 80 },
            "MiniBatch" => tiny with { MiniBatch = 200 },
            _ => tiny with { LatentWidth = 13 },
        };
        var e = Assert.Throws<ModelConfigException>(() => bad.Validate());
        Assert.Equal(field, e.Field);
        Assert.Contains(expected, e.Message);
        Assert.Contains("found", e.Message);
    }

    [Fact]
    public void Json_RoundTripsAndRejectsUnknownFields()
    {
        string json = ModelConfig.Tiny().ToJson();
        Assert.Equal(ModelConfig.Tiny(), ModelConfig.FromJson(json, "test"));
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.FromJson(json.Replace("\"layers\"", "\"lairs\""), "weights.safetensors"));
        Assert.Contains("weights.safetensors", e.Message);
    }

    [Fact]
    public void Layout_RejectsZeroSegments()
    {
        var e = Assert.Throws<ModelConfigException>(() => new SequenceLayout(ModelConfig.Tiny(), 0));
        Assert.Contains("segments", e.Message);
    }
}
