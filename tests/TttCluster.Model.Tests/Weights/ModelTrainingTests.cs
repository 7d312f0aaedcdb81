using TttCluster.Model.Weights;

namespace TttCluster.Model.Tests.Weights;

/// <summary>The <c>ttt_training</c> metadata `ttt info` prints: read exactly, and refused clearly when malformed.</summary>
public class ModelTrainingTests
{
    private const string Valid =
        """{"data":"storyboard world","autoencoderSteps":1500,"denoiserSteps":6900,"seed":1,"date":"2026-12-06","code":"tools/train/train.py at abc1234","objective":"v-prediction"}""";

    [Fact]
    public void Parse_ReadsEveryField()
    {
        var t = ModelTraining.Parse(Valid, "m.safetensors");

        Assert.Equal(new ModelTraining("storyboard world", 1500, 6900, 1, "2026-12-06", "tools/train/train.py at abc1234", "v-prediction"), t);
        Assert.Equal("training: 1,500 autoencoder steps, then 6,900 denoiser steps; seed 1; 2026-12-06; tools/train/train.py at abc1234",
            t.Describe().First());
    }

    [Theory]
    [InlineData("not json", "expected JSON, found text that is not")]
    [InlineData("[1, 2]", "expected a JSON object, found array")]
    [InlineData("""{"autoencoderSteps":1}""", "data: expected a field, found none")]
    [InlineData("""{"data":7}""", "data: expected a string, found 7")]
    public void Parse_MalformedEntry_NamesTheFieldExpectedAndFound(string json, string message)
    {
        var e = Assert.Throws<WeightsFileException>(() => ModelTraining.Parse(json, "m.safetensors"));

        Assert.Contains("ttt_training", e.Message);
        Assert.Contains(message, e.Message);
        Assert.Contains("m.safetensors", e.Message);
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("1.5")]
    [InlineData("\"many\"")]
    public void Parse_StepsThatAreNotAWholeCount_AreRefused(string steps)
    {
        string json = Valid.Replace("\"denoiserSteps\":6900", $"\"denoiserSteps\":{steps}");

        var e = Assert.Throws<WeightsFileException>(() => ModelTraining.Parse(json, "m.safetensors"));

        Assert.Contains($"denoiserSteps: expected a whole number ≥ 0, found {steps}", e.Message);
    }
}
