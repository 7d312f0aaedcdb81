using TttCluster.Model.Plan;

namespace TttCluster.Model.Tests.Plan;

public class ScanDirectionTests
{
    /// <summary>
    /// Each direction's first run starts from the initial state and its last run flushes the partial mini-batch; the
    /// reverse direction visits the same chunks back to front, so its runs tile the direction positions without gaps.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Runs_InVisitOrder_StartAtTheFirstAndTileThePositions(int segments)
    {
        var layout = new SequenceLayout(ModelConfig.Tiny(), segments);
        foreach (var direction in new[] { ScanDirection.Forward, ScanDirection.Backward })
        {
            int[] order = direction.SegmentOrder(layout).ToArray();
            Assert.Equal(direction.Reverse ? segments - 1 : 0, order[0]);
            Assert.Equal(order.Select(k => direction.IsFirstRun(layout, k)), order.Select((_, i) => i == 0));
            Assert.Equal(order.Select(k => direction.IsLastRun(layout, k)), order.Select((_, i) => i == segments - 1));
            int position = 0;
            foreach (int k in order)
            {
                Assert.Equal(position, direction.RunStart(layout, k));
                Assert.Equal(position, direction.PositionOf(layout, k, direction.Reverse ? layout.ChunkLength(k) - 1 : 0));
                position += layout.ChunkLength(k);
            }
            Assert.Equal(layout.TotalTokens, position);
        }
    }
}
