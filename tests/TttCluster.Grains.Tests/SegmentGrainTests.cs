using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Ttt;

namespace TttCluster.Grains.Tests;

public class SegmentGrainTests
{
    /// <summary>A state pushed by an abandoned attempt (before a re-placement) must never feed the retry's scan.</summary>
    [Fact]
    public async Task StatePushedByAnEarlierAttempt_IsDropped()
    {
        var model = ClusterTestKit.TinyModel;
        var cfg = model.Config;
        var cluster = ClusterHost.StartInProcess(model, 1);
        var layout = new SequenceLayout(cfg, 2);
        int frameSize = cfg.LatentFrameFloats, text = cfg.TextFloatsPerSegment;
        ISegmentGrain segment = cluster.GetGrain<ISegmentGrain>("s/1");
        await segment.InitializeAsync(new SegmentSetup("s", 1, 2, new float[text], new float[text], new float[layout.OwnFrames(1) * frameSize], Attempt: 1), CancellationToken.None);
        await segment.BeginStepAsync(new StepStart(0, 999), CancellationToken.None);

        var block = model.Dit.Blocks[0];
        byte[] stale = ScanGroups.For(cfg).InitialState(0, 2, cfg.HeadDim, block.W1, block.B1, block.W2, block.B2).ToBytes();
        var turn = new ScanTurn(0, Reverse: false, Group: 0);
        await segment.ReceiveScanStateAsync(turn.Layer, turn.Reverse, turn.Group, stale, attempt: 0, CancellationToken.None);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => segment.ScanAsync(turn, CancellationToken.None));
        Assert.Contains("no scan state of head group 0 arrived", e.Message);
    }
}
