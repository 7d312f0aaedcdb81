using Orleans.Concurrency;
using TttCluster.Abstractions;
using TttCluster.Model.Ttt;
using static TttCluster.Grains.Tests.ClusterTestKit;

namespace TttCluster.Grains.Tests;

public class SegmentGrainTests
{
    /// <summary>
    /// A push that arrives after its segment was released (a late one from an abandoned attempt) reaches a grain that was
    /// never initialised: it is dropped, and nothing it carried can feed a scan.
    /// </summary>
    [Fact]
    public async Task PushAfterRelease_IsDropped()
    {
        var cfg = TinyModel.Config;
        await using var cluster = await StartSilos(1);
        var grains = cluster.GrainsOfPrimary();
        var layout = new Model.SequenceLayout(cfg, 2);
        string key = SegmentKeys.Of("s", 1, "0", "Silo_0");
        var segment = grains.GetGrain<ISegmentGrain>(key);
        await segment.InitializeAsync(new SegmentSetup("s", 1, 2, new FloatBlock(new float[cfg.TextFloatsPerSegment]), new FloatBlock(new float[cfg.TextFloatsPerSegment]),
            new FloatBlock(new float[layout.OwnFrames(1) * cfg.LatentFrameFloats]), "0", ["Silo_0", "Silo_0"]), CancellationToken.None);
        await segment.ReleaseAsync(CancellationToken.None);

        var block = TinyModel.Dit.Blocks[0];
        byte[] late = ScanGroups.For(cfg).InitialState(0, 2, cfg.HeadDim, block.W1, block.B1, block.W2, block.B2).ToBytes();
        await segment.ReceiveScanStateAsync(0, reverse: false, group: 0, new Immutable<byte[]>(late));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => segment.WhenArrivedAsync(0, SegmentInput.ForwardState, 0, CancellationToken.None));
        Assert.Contains("called before it was initialised", e.Message);
    }
}
