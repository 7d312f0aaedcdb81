using System.Text.Json;
using TttCluster.Tensors;

namespace TttCluster.Model.Text;

/// <summary>
/// The Tiny model's text encoder: token embedding + position embedding, padded with the padding token to
/// TokensPerSegment (like T5's padded last_hidden_state). Weights: <c>text_encoder.token_embedding</c> [V, TextDim] and
/// <c>text_encoder.position_embedding</c> [Lt, TextDim], in the model file.
/// </summary>
public sealed class HashedTextEncoder : ITextEncoder
{
    public const string MetadataKey = "ttt_text_encoder";
    public const string TokenEmbedding = "text_encoder.token_embedding", PositionEmbedding = "text_encoder.position_embedding";

    private readonly WordTokenizer _tokenizer;
    private readonly float[] _tokens, _positions;

    public int TokensPerSegment { get; }
    public int OutputDim { get; }

    public HashedTextEncoder(int vocabularySize, int tokensPerSegment, int outputDim, float[] tokenEmbedding, float[] positionEmbedding)
    {
        _tokenizer = new WordTokenizer(vocabularySize);
        TokensPerSegment = tokensPerSegment;
        OutputDim = outputDim;
        if (tokenEmbedding.Length != vocabularySize * outputDim || positionEmbedding.Length != tokensPerSegment * outputDim)
            throw new ArgumentException($"text encoder embeddings must be [{vocabularySize}, {outputDim}] and [{tokensPerSegment}, {outputDim}]");
        _tokens = tokenEmbedding;
        _positions = positionEmbedding;
    }

    public int CountTokens(string text) => _tokenizer.Tokenize(text).Count;

    public float[] Encode(string text)
    {
        List<int> ids = _tokenizer.Tokenize(text);
        if (ids.Count > TokensPerSegment)
            throw new ArgumentException($"text has {ids.Count} tokens (with start and end of scene); the model takes at most {TokensPerSegment}");
        var output = new float[TokensPerSegment * OutputDim];
        for (int i = 0; i < TokensPerSegment; i++)
        {
            int id = i < ids.Count ? ids[i] : WordTokenizer.Padding;
            Span<float> row = output.AsSpan(i * OutputDim, OutputDim);
            _tokens.AsSpan(id * OutputDim, OutputDim).CopyTo(row);
            for (int c = 0; c < OutputDim; c++) row[c] += _positions[i * OutputDim + c];
        }
        return output;
    }

    /// <summary>Names and shapes of the encoder's tensors.</summary>
    public static IReadOnlyList<(string Name, int[] Shape)> Inventory(int vocabularySize, ModelConfig config) =>
        [(TokenEmbedding, [vocabularySize, config.TextDim]), (PositionEmbedding, [config.TextTokensPerSegment, config.TextDim])];

    /// <summary>The metadata entry: {"vocabularySize": V, "tokenizer": "words-fnv1a-v1"}.</summary>
    public static string MetadataJson(int vocabularySize) =>
        JsonSerializer.Serialize(new { vocabularySize, tokenizer = "words-fnv1a-v1" });

    public static int ParseVocabularySize(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.GetProperty("tokenizer").GetString() != "words-fnv1a-v1")
                throw new FormatException($"{source}: {MetadataKey}.tokenizer: expected \"words-fnv1a-v1\"");
            int v = doc.RootElement.GetProperty("vocabularySize").GetInt32();
            return v is > WordTokenizer.SpecialTokens and <= 1 << 20
                ? v : throw new FormatException($"{source}: {MetadataKey}.vocabularySize: expected 4..1048576, found {v}");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{source}: {MetadataKey}: expected {{\"vocabularySize\": N, \"tokenizer\": \"words-fnv1a-v1\"}}, found {json}", e);
        }
    }

    public static HashedTextEncoder FromTensors(int vocabularySize, ModelConfig config, IReadOnlyDictionary<string, Tensor> tensors) =>
        new(vocabularySize, config.TextTokensPerSegment, config.TextDim, tensors[TokenEmbedding].Data, tensors[PositionEmbedding].Data);
}
