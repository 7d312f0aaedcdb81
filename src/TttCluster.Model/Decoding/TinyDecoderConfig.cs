using System.Text.Json;

namespace TttCluster.Model.Decoding;

/// <summary>Shape of the Tiny decoder, stored as JSON under <c>ttt_decoder</c> in the model file's metadata.</summary>
/// <param name="Upscale">Pixels per latent pixel along each axis, e.g. 16 (8×12 latent → 128×192 video).</param>
/// <param name="FramesPerLatentFrame">Video frames between two latent frames, e.g. 16 (3 latent frames a scene → 3 s at 16 fps).</param>
/// <param name="FramesPerSecond">Frame rate of the video, e.g. 16.</param>
/// <param name="Hidden">Width of the per-pixel MLP, e.g. 32.</param>
public sealed record TinyDecoderConfig(int Upscale = 16, int FramesPerLatentFrame = 16, int FramesPerSecond = 16, int Hidden = 32)
{
    public const string MetadataKey = "ttt_decoder";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TinyDecoderConfig FromJson(string json, string source)
    {
        TinyDecoderConfig? c;
        try { c = JsonSerializer.Deserialize<TinyDecoderConfig>(json, Json); }
        catch (JsonException e) { throw new FormatException($"{source}: {MetadataKey}: expected the decoder config as JSON, found {Weights.JsonProblem.Found(e)}", e); }
        if (c is null || c.Upscale is < 1 or > 64 || c.FramesPerLatentFrame is < 1 or > 64 || c.FramesPerSecond is < 1 or > 120 || c.Hidden is < 1 or > 4096)
            throw new FormatException($"{source}: {MetadataKey}: expected upscale 1..64, framesPerLatentFrame 1..64, framesPerSecond 1..120, hidden 1..4096; found {json}");
        return c;
    }
}
