using TttCluster.Model.Ttt;

namespace TttCluster.Model.Tests.Golden;

public class TttScanGoldenTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ttt_scan_even")]      // 288 tokens, 18 whole mini-batches
    [InlineData("ttt_scan_partial")]   // 200 tokens, the last mini-batch holds 8
    public void TttScan_MatchesReference(string name)
    {
        var result = TttScanEval.Run(GoldenFiles.PathOf(name + ".weights.safetensors"), GoldenFiles.PathOf(name + ".inputs.safetensors"), 16);
        using var expected = GoldenFiles.Open(name + ".expected.safetensors");
        foreach (string tensor in new[] { "Z", "W1", "b1", "W2", "b2" })
            GoldenFiles.AssertClose($"{name} {tensor}", result[tensor].Data, expected.Read(tensor).Data, 1e-5, output);
    }
}
