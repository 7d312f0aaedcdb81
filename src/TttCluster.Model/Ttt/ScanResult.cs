namespace TttCluster.Model.Ttt;

/// <summary>
/// Outputs a scan call produced: tokens at direction positions FirstPosition .. FirstPosition + Count − 1, [B, H, Count, d].
/// The first ones may belong to earlier segments (they finished a mini-batch that straddled into this one).
/// </summary>
public sealed record ScanResult(int FirstPosition, int Count, float[] Output);
