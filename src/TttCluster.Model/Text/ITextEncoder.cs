namespace TttCluster.Model.Text;

/// <summary>
/// Turns a scene's text into its text tokens, [TokensPerSegment, OutputDim] (the DiT's text input for one segment).
/// The Tiny model has a small hashed-vocabulary encoder; a real T5 encoder implements the same interface.
/// </summary>
public interface ITextEncoder
{
    /// <summary>Tokens per segment after padding (the model's TextTokensPerSegment).</summary>
    int TokensPerSegment { get; }
    /// <summary>Width of each output token (the model's TextDim).</summary>
    int OutputDim { get; }
    /// <summary>How many of the segment's tokens the text uses, special tokens included; must be ≤ TokensPerSegment.</summary>
    int CountTokens(string text);
    /// <summary>[TokensPerSegment, OutputDim]; throws if the text does not fit.</summary>
    float[] Encode(string text);
}
