using TttCluster.Grains.Farm;
using TttCluster.Model;
using TttCluster.Storage;
using TttCluster.Video;

namespace TttCluster.Gateway;

/// <summary>
/// Per-step previews for the dashboard: a rendering story's latents as they are after its last finished step (its
/// checkpoint), decoded to one frame per segment (the segment's middle latent frame) and laid side by side in one PNG,
/// so a watcher sees the video come out of the noise. Made when asked, once per story and step.
/// </summary>
public sealed class StoryPreviews(ModelBundle model, IBlobStore blobs, FarmSettings settings)
{
    /// <summary>Previews are on by default when a decoded frame has at most this many pixels (Tiny's frames): decoding is cheap.</summary>
    public const int CheapFramePixels = 256 * 256;

    /// <summary>A preview: steps done, the width of one segment's tile, the PNG.</summary>
    public sealed record Preview(int Step, int TileWidth, byte[] Png);

    private readonly BlobCheckpointStore _checkpoints = new(blobs);
    private readonly Dictionary<string, Preview> _latest = new(StringComparer.Ordinal);

    public static bool OnByDefault(ModelBundle model) => model.Decoder.Width * model.Decoder.Height <= CheapFramePixels;

    /// <summary>Whether this farm makes previews: as <see cref="FarmSettings.Previews"/> says, or by the model's frame size.</summary>
    public bool Enabled => settings.Previews ?? OnByDefault(model);

    /// <summary>The preview of the story's latest checkpoint; null when it has none (not rendering, or already finished).</summary>
    public async Task<Preview?> LatestAsync(string storyId, int segments, CancellationToken cancel)
    {
        var checkpoint = await _checkpoints.LatestAsync(storyId, cancel);
        if (checkpoint is null) return null;
        lock (_latest)
            if (_latest.TryGetValue(storyId, out var made) && made.Step == checkpoint.Step) return made;
        var layout = new SequenceLayout(model.Config, segments);
        if (checkpoint.Latents.Length != layout.Frames * model.Config.LatentFrameFloats) return null;   // another model's checkpoint
        var preview = await Task.Run(() => Decode(checkpoint.Step, checkpoint.Latents, layout), cancel);
        lock (_latest) _latest[storyId] = preview;
        return preview;
    }

    /// <summary>Drops a story's preview once it has ended.</summary>
    public void Forget(string storyId)
    {
        lock (_latest) _latest.Remove(storyId);
    }

    private Preview Decode(int step, float[] latents, SequenceLayout layout)
    {
        var decoder = model.Decoder;
        int width = decoder.Width, height = decoder.Height, segments = layout.Segments;
        int videoFrames = decoder.FrameCount(layout.Frames);
        var strip = new byte[segments * width * height * Frames.Channels];
        Parallel.For(0, segments, k =>
        {
            // The video frame at the segment's middle latent frame (no blending between latent frames there).
            int latentFrame = layout.FirstOwnFrame(k) + layout.OwnFrames(k) / 2;
            int frame = layout.Frames == 1 ? 0 : (int)Math.Round(latentFrame * (videoFrames - 1) / (double)(layout.Frames - 1));
            var rgb = new float[3 * width * height];
            decoder.DecodeFrame(latents, layout.Frames, frame, rgb);
            byte[] tile = Frames.ToRgb24(rgb, width, height);
            for (int y = 0; y < height; y++)
                tile.AsSpan(y * width * Frames.Channels, width * Frames.Channels)
                    .CopyTo(strip.AsSpan((y * segments * width + k * width) * Frames.Channels));
        });
        return new Preview(step, width, PngWriter.Encode(segments * width, height, strip));
    }
}
