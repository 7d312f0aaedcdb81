using System.Text.Json;
using System.Text.Json.Serialization;

namespace TttCluster.Model;

/// <summary>
/// The shape of a TTT-DiT (docs/MODEL.md §1). Presets are named factories; <see cref="Validate"/> rejects shapes the
/// model cannot run, at config time, with the field, what was expected and what was found.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Transformer blocks, e.g. 42.</summary>
    public required int Layers { get; init; }
    /// <summary>Hidden size D = Heads · HeadDim, e.g. 3072.</summary>
    public required int Width { get; init; }
    /// <summary>Attention and TTT heads, e.g. 48.</summary>
    public required int Heads { get; init; }
    /// <summary>Per-head size d, a multiple of 16 so the 3D RoPE split d/4 : 3d/8 : 3d/8 has even parts, e.g. 64.</summary>
    public required int HeadDim { get; init; }
    /// <summary>Hidden size of the block MLP, e.g. 12288.</summary>
    public required int MlpHidden { get; init; }
    /// <summary>Width of the time embedding that drives adaLN, e.g. 512.</summary>
    public required int TimeEmbedDim { get; init; }
    /// <summary>Width of the text encoder's output, e.g. 4096 for T5-XXL.</summary>
    public required int TextDim { get; init; }
    /// <summary>Latent channels in and out, e.g. 16.</summary>
    public required int LatentChannels { get; init; }
    /// <summary>Latent frame height, e.g. 60 (480 px / 8).</summary>
    public required int LatentHeight { get; init; }
    /// <summary>Latent frame width, e.g. 90 (720 px / 8).</summary>
    public required int LatentWidth { get; init; }
    /// <summary>Spatial patch size (no temporal patching), e.g. 2.</summary>
    public required int Patch { get; init; }
    /// <summary>Latent frames each segment adds; segment 0 has one more, e.g. 12 (3 seconds).</summary>
    public required int FramesPerSegment { get; init; }
    /// <summary>Text tokens per segment, e.g. 458.</summary>
    public required int TextTokensPerSegment { get; init; }
    /// <summary>TTT mini-batch size b, e.g. 64.</summary>
    public required int MiniBatch { get; init; }
    /// <summary>TTT inner learning rate η_base, e.g. 0.1 for TTT-MLP.</summary>
    public required float TttBaseLr { get; init; }
    /// <summary>Initial value α0 of the four TTT gates (the model uses tanh(α)), e.g. 0.1.</summary>
    public required float GateInit { get; init; }
    /// <summary>RoPE base θ, e.g. 10000.</summary>
    public required float RopeTheta { get; init; }
    /// <summary>Epsilon of every LayerNorm, the TTT inner LN and LN′ included, e.g. 1e-6.</summary>
    public required float LayerNormEps { get; init; }

    /// <summary>
    /// The CPU demo model: every structural feature of the paper's model at a size that runs in milliseconds. 40 text
    /// tokens hold a scene of about 35 words, and make chunks of 136 and then 112 tokens: every segment boundary falls
    /// 8 tokens into a mini-batch of 16, so every hand-off carries an open mini-batch.
    /// </summary>
    public static ModelConfig Tiny() => new()
    {
        Layers = 2, Width = 64, Heads = 4, HeadDim = 16, MlpHidden = 256, TimeEmbedDim = 32, TextDim = 32,
        LatentChannels = 4, LatentHeight = 8, LatentWidth = 12, Patch = 2, FramesPerSegment = 3,
        TextTokensPerSegment = 40, MiniBatch = 16, TttBaseLr = 0.1f, GateInit = 0.1f, RopeTheta = 10000f, LayerNormEps = 1e-6f,
    };

    /// <summary>The paper's shapes: CogVideoX-5B with TTT-MLP layers (7.2B parameters); benchmarks use it with random weights.</summary>
    public static ModelConfig CogVideoX5B() => new()
    {
        Layers = 42, Width = 3072, Heads = 48, HeadDim = 64, MlpHidden = 12288, TimeEmbedDim = 512, TextDim = 4096,
        LatentChannels = 16, LatentHeight = 60, LatentWidth = 90, Patch = 2, FramesPerSegment = 12,
        TextTokensPerSegment = 458, MiniBatch = 64, TttBaseLr = 0.1f, GateInit = 0.1f, RopeTheta = 10000f, LayerNormEps = 1e-6f,
    };

    [JsonIgnore] public int TtHidden => 4 * HeadDim;
    [JsonIgnore] public int PatchRows => LatentHeight / Patch;
    [JsonIgnore] public int PatchCols => LatentWidth / Patch;
    [JsonIgnore] public int TokensPerFrame => PatchRows * PatchCols;
    [JsonIgnore] public int PatchFeatures => LatentChannels * Patch * Patch;
    /// <summary>Floats in one latent frame [C, H, W].</summary>
    [JsonIgnore] public int LatentFrameFloats => LatentChannels * LatentHeight * LatentWidth;
    /// <summary>Floats of one segment's text for one stream [Lt, TextDim].</summary>
    [JsonIgnore] public int TextFloatsPerSegment => TextTokensPerSegment * TextDim;
    [JsonIgnore] public int RopeDimT => HeadDim / 4;
    [JsonIgnore] public int RopeDimH => 3 * HeadDim / 8;
    [JsonIgnore] public int RopeDimW => 3 * HeadDim / 8;

    /// <summary>Throws <see cref="ModelConfigException"/> naming the first field that cannot work.</summary>
    public ModelConfig Validate()
    {
        Positive(Layers, nameof(Layers)); Positive(Width, nameof(Width)); Positive(Heads, nameof(Heads));
        Positive(HeadDim, nameof(HeadDim)); Positive(MlpHidden, nameof(MlpHidden)); Positive(TimeEmbedDim, nameof(TimeEmbedDim));
        Positive(TextDim, nameof(TextDim)); Positive(LatentChannels, nameof(LatentChannels));
        Positive(LatentHeight, nameof(LatentHeight)); Positive(LatentWidth, nameof(LatentWidth)); Positive(Patch, nameof(Patch));
        Positive(FramesPerSegment, nameof(FramesPerSegment)); Positive(TextTokensPerSegment, nameof(TextTokensPerSegment));
        Positive(MiniBatch, nameof(MiniBatch));
        if (HeadDim % 16 != 0)
            throw new ModelConfigException(nameof(HeadDim), "a multiple of 16 (3D RoPE splits it d/4 : 3d/8 : 3d/8 into even parts)", HeadDim.ToString());
        if (Width != Heads * HeadDim)
            throw new ModelConfigException(nameof(Width), $"Heads · HeadDim = {Heads} · {HeadDim} = {Heads * HeadDim}", Width.ToString());
        if (Width % 2 != 0)
            throw new ModelConfigException(nameof(Width), "an even number (the time sinusoid has cos and sin halves)", Width.ToString());
        if (LatentHeight % Patch != 0)
            throw new ModelConfigException(nameof(LatentHeight), $"a multiple of Patch = {Patch}", LatentHeight.ToString());
        if (LatentWidth % Patch != 0)
            throw new ModelConfigException(nameof(LatentWidth), $"a multiple of Patch = {Patch}", LatentWidth.ToString());
        int firstChunk = TextTokensPerSegment + (FramesPerSegment + 1) * TokensPerFrame;
        if (MiniBatch > firstChunk)
            throw new ModelConfigException(nameof(MiniBatch),
                $"at most the {firstChunk} tokens of a one-segment story (TextTokensPerSegment + (FramesPerSegment + 1) · TokensPerFrame)", MiniBatch.ToString());
        if (!(TttBaseLr > 0) || !float.IsFinite(TttBaseLr))
            throw new ModelConfigException(nameof(TttBaseLr), "a finite number > 0", TttBaseLr.ToString("R"));
        if (!(RopeTheta > 1) || !float.IsFinite(RopeTheta))
            throw new ModelConfigException(nameof(RopeTheta), "a finite number > 1", RopeTheta.ToString("R"));
        if (!(LayerNormEps > 0) || !float.IsFinite(LayerNormEps))
            throw new ModelConfigException(nameof(LayerNormEps), "a finite number > 0", LayerNormEps.ToString("R"));
        if (!float.IsFinite(GateInit))
            throw new ModelConfigException(nameof(GateInit), "a finite number", GateInit.ToString("R"));
        return this;
    }

    private static void Positive(int value, string field)
    {
        if (value < 1) throw new ModelConfigException(field, "an integer ≥ 1", value.ToString());
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The config as the JSON stored under <c>ttt_config</c> in a weights file's metadata.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses and validates a <c>ttt_config</c> JSON; <paramref name="source"/> names where it came from in errors.</summary>
    public static ModelConfig FromJson(string json, string source)
    {
        ModelConfig? config;
        try { config = JsonSerializer.Deserialize<ModelConfig>(json, JsonOptions); }
        catch (JsonException e)
        {
            throw new ModelConfigException("ttt_config", "a JSON object with every field of docs/MODEL.md §1", $"{Weights.JsonProblem.Found(e)} (in {source})");
        }
        return (config ?? throw new ModelConfigException("ttt_config", "a JSON object", $"null (in {source})")).Validate();
    }
}
