using TttCluster.Model.Parameters;
using TttCluster.Model.Plan;
using TttCluster.Model.Tests.Golden;

namespace TttCluster.Model.Tests.Plan;

public class StepPlanTests
{
    /// <summary>
    /// The scan split into one run per segment, with the state (and the open mini-batch) serialised to bytes and back at
    /// every boundary, gives exactly the bits of one scan over the whole sequence. Segment counts 1, 2, 3, 5 with the
    /// golden Tiny weights: chunks of 112 and 88 tokens with mini-batches of 16, so mini-batches straddle segment
    /// boundaries, and totals of 200 and 464 leave a partial last mini-batch.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void PerSegmentScan_IsBitIdenticalToWholeSequence(int segments)
    {
        var p = GoldenFiles.TinyWeights;
        var layout = new SequenceLayout(p.Config, segments);
        var rng = new GaussianRandom(7);
        var latent = new float[layout.Frames * p.Config.LatentFrameFloats];
        rng.Fill(latent, 1f);
        var cond = new float[segments * p.Config.TextFloatsPerSegment];
        var uncond = new float[cond.Length];
        rng.Fill(cond, 1f);
        rng.Fill(uncond, 1f);
        var ctx = new StepContext(p, layout, 2, 499);

        float[][] whole = new LocalExecutor(ScanSplit.WholeSequence).Forward(ctx, latent, [cond, uncond]);
        float[][] split = new LocalExecutor(ScanSplit.PerSegmentSerialized).Forward(ctx, latent, [cond, uncond]);

        for (int b = 0; b < 2; b++)
        {
            for (int i = 0; i < whole[b].Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(whole[b][i]) == BitConverter.SingleToInt32Bits(split[b][i]),
                    $"stream {b}, element {i}: whole-sequence scan {whole[b][i]:R} vs per-segment scan {split[b][i]:R}");
        }
    }

    [Fact]
    public void TinyLayout_HasStraddlingMiniBatchesAndTextPerSegment()
    {
        var cfg = ModelConfig.Tiny();
        var layout = new SequenceLayout(cfg, 3);
        Assert.Equal(360, layout.TotalTokens);
        Assert.Equal(10, layout.Frames);
        for (int k = 1; k < 3; k++) Assert.NotEqual(0, layout.ChunkStart(k) % cfg.MiniBatch);   // every boundary inside a mini-batch
        Assert.True(cfg.Heads > 1 && cfg.HeadDim % 16 == 0 && cfg.Layers >= 2);
    }

    [Fact]
    public void SeededInitialisation_IsReproducible()
    {
        var a = ParameterInitializer.Initialize(ModelConfig.Tiny(), 42);
        var b = ParameterInitializer.Initialize(ModelConfig.Tiny(), 42);
        var c = ParameterInitializer.Initialize(ModelConfig.Tiny(), 43);
        Assert.Equal(a.Blocks[1].W1, b.Blocks[1].W1);
        Assert.NotEqual(a.Blocks[1].W1, c.Blocks[1].W1);
        Assert.All(a.Blocks[0].GateForwardText, g => Assert.Equal(0.1f, g));
    }
}
