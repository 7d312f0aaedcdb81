namespace TttCluster.Rendering;

/// <summary>What a render is doing now: a denoising step's phase on one segment, or decoding/encoding of video frames.</summary>
/// <param name="Stage">"sampling", "decoding" or "done".</param>
/// <param name="Step">Denoising step (0-based) while sampling.</param>
/// <param name="Steps">Total denoising steps.</param>
/// <param name="Segment">The segment the event is about, or -1.</param>
/// <param name="Layer">Transformer block (0-based) while sampling.</param>
/// <param name="Phase">"attention", "forward scan", "reverse scan", "mlp", "step done", or a decode stage.</param>
/// <param name="Frame">Video frames decoded so far, while decoding.</param>
/// <param name="Frames">Total video frames.</param>
public sealed record RenderProgress(string Stage, int Step, int Steps, int Segment, int Layer, string Phase, int Frame = 0, int Frames = 0);
