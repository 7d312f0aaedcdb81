namespace TttCluster.Model.Decoding;

/// <summary>
/// Latents → RGB frames, one frame at a time so a minute of video never has to sit in memory. The Tiny model has a
/// small decoder; a real VAE (CogVideoX's 3D causal VAE) implements the same interface.
/// </summary>
public interface IVideoDecoder
{
    int Width { get; }
    int Height { get; }
    int FramesPerSecond { get; }
    /// <summary>Video frames for a latent of <paramref name="latentFrames"/> frames.</summary>
    int FrameCount(int latentFrames);
    /// <summary>Video frame <paramref name="frame"/> as planar RGB [3, Height, Width] in [0, 1].</summary>
    void DecodeFrame(ReadOnlySpan<float> latent, int latentFrames, int frame, Span<float> rgb);
}
