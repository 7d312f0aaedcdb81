using TttCluster.Model.Decoding;
using TttCluster.Model.Parameters;
using TttCluster.Model.Sampling;
using TttCluster.Model.Text;
using TttCluster.Model.Weights;
using TttCluster.Tensors;

namespace TttCluster.Model;

/// <summary>
/// Everything a render needs from one model file: the DiT, its text encoder and its decoder. The file's metadata holds
/// the three configs (<c>ttt_config</c>, <c>ttt_text_encoder</c>, <c>ttt_decoder</c>); the tensors must match their
/// inventories exactly, so a missing, extra or mis-shaped tensor is named with expected and found shapes.
/// </summary>
public sealed class ModelBundle(ModelParameters dit, ITextEncoder textEncoder, IVideoDecoder decoder, bool trained, ModelTraining? training = null,
                                SamplerSettings? samplerDefaults = null)
{
    /// <summary>Metadata flag; absent or "false" means the weights are a seeded initialisation, not a trained model.</summary>
    public const string TrainedKey = "ttt_trained";

    public ModelParameters Dit { get; } = dit;
    public ITextEncoder TextEncoder { get; } = textEncoder;
    public IVideoDecoder Decoder { get; } = decoder;
    /// <summary>False for the shipped seeded weights: the video is the model's output, not a meaningful picture.</summary>
    public bool IsTrained { get; } = trained;
    /// <summary>How the weights were trained (metadata <c>ttt_training</c>), or null when the file does not say.</summary>
    public ModelTraining? Training { get; } = training;
    /// <summary>What a story that leaves a sampler setting out gets: the file's own (metadata <c>ttt_sampler</c>), else the engine's.</summary>
    public SamplerSettings SamplerDefaults { get; } = samplerDefaults ?? new SamplerSettings();
    /// <summary>Whether <see cref="SamplerDefaults"/> came from the file.</summary>
    public bool HasOwnSamplerDefaults { get; } = samplerDefaults is not null;
    public ModelConfig Config => Dit.Config;

    public const int DefaultVocabularySize = 4096;

    /// <summary>A seeded model: the DiT as <see cref="ParameterInitializer"/>, text embeddings N(0, 1), decoder N(0, 1/fan_in).</summary>
    public static Dictionary<string, Tensor> InitializeTensors(ModelConfig config, TinyDecoderConfig decoder, int vocabularySize, ulong seed)
    {
        var tensors = new Dictionary<string, Tensor>(ParameterInitializer.Initialize(config, seed).Tensors);
        var rng = new GaussianRandom(seed ^ 0x5445585444454344UL);
        foreach (var (name, shape) in HashedTextEncoder.Inventory(vocabularySize, config).Concat(TinyDecoder.Inventory(config, decoder)))
        {
            var t = new Tensor(shape);
            float std = name.StartsWith("text_encoder") ? 1f : name.EndsWith(".bias") ? 0.1f : 1f / MathF.Sqrt(shape[^1]);
            rng.Fill(t.Data, std);
            tensors[name] = t;
        }
        return tensors;
    }

    public static void Save(string path, ModelConfig config, TinyDecoderConfig decoder, int vocabularySize, IReadOnlyDictionary<string, Tensor> tensors, bool trained)
    {
        var metadata = new Dictionary<string, string>
        {
            [ModelFile.ConfigKey] = config.ToJson(),
            [HashedTextEncoder.MetadataKey] = HashedTextEncoder.MetadataJson(vocabularySize),
            [TinyDecoderConfig.MetadataKey] = decoder.ToJson(),
            [TrainedKey] = trained ? "true" : "false",
        };
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    public static ModelBundle Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        string Meta(string key, string what) => file.Metadata.TryGetValue(key, out var v) ? v
            : throw new WeightsFileException(path, null, $"expected a '{key}' entry in __metadata__ ({what}), found none",
                "a model file for `ttt render` holds the DiT, the text encoder and the decoder; see docs/MODEL.md");
        ModelConfig config;
        int vocabulary;
        TinyDecoderConfig decoderConfig;
        try
        {
            config = ModelConfig.FromJson(Meta(ModelFile.ConfigKey, "the DiT config"), path);
            vocabulary = HashedTextEncoder.ParseVocabularySize(Meta(HashedTextEncoder.MetadataKey, "the text encoder"), path);
            decoderConfig = TinyDecoderConfig.FromJson(Meta(TinyDecoderConfig.MetadataKey, "the decoder"), path);
        }
        catch (Exception e) when (e is ModelConfigException or FormatException)
        {
            throw new WeightsFileException(path, null, e.Message, innerException: e);
        }
        var expected = ParameterInventory.For(config)
            .Concat(HashedTextEncoder.Inventory(vocabulary, config))
            .Concat(TinyDecoder.Inventory(config, decoderConfig))
            .Select(e => new ExpectedTensor(e.Name, e.Shape)).ToArray();
        var tensors = WeightSet.Load(file, expected);
        var ditNames = ParameterInventory.For(config).Select(e => e.Name).ToHashSet();
        var dit = new ModelParameters(config, tensors.Where(kv => ditNames.Contains(kv.Key)).ToDictionary());
        bool trained = file.Metadata.TryGetValue(TrainedKey, out var t) && t == "true";
        var training = file.Metadata.TryGetValue(ModelTraining.MetadataKey, out var json) ? ModelTraining.Parse(json, path) : null;
        var sampler = file.Metadata.TryGetValue(SamplerSettings.MetadataKey, out var samplerJson) ? SamplerSettings.FromMetadata(samplerJson, path) : null;
        return new ModelBundle(dit, HashedTextEncoder.FromTensors(vocabulary, config, tensors), new TinyDecoder(config, decoderConfig, tensors), trained,
            training, sampler);
    }
}
