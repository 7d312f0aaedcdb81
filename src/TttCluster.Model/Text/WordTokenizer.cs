using System.Globalization;
using System.Text;

namespace TttCluster.Model.Text;

/// <summary>
/// A deterministic tokenizer with no vocabulary file: lower-cased words (runs of letters and digits) and single
/// punctuation marks, each hashed (FNV-1a, 32-bit) into ids above the special tokens. The same text gives the same ids on
/// every machine. Every segment's text is wrapped in start-scene and end-scene tokens, as in the paper.
/// </summary>
public sealed class WordTokenizer(int vocabularySize)
{
    public const int Padding = 0, StartScene = 1, EndScene = 2, SpecialTokens = 3;

    public int VocabularySize { get; } = vocabularySize > SpecialTokens
        ? vocabularySize : throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "vocabulary must exceed the 3 special tokens");

    /// <summary>[start_scene, words..., end_scene].</summary>
    public List<int> Tokenize(string text)
    {
        var ids = new List<int> { StartScene };
        foreach (string piece in Pieces(text.Normalize(NormalizationForm.FormKC).ToLowerInvariant()))
            ids.Add(SpecialTokens + (int)(Fnv1a(piece) % (uint)(VocabularySize - SpecialTokens)));
        ids.Add(EndScene);
        return ids;
    }

    private static IEnumerable<string> Pieces(string text)
    {
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune)) { word.Append(rune.ToString()); continue; }
            if (word.Length > 0) { yield return word.ToString(); word.Clear(); }
            if (!Rune.IsWhiteSpace(rune) && Rune.GetUnicodeCategory(rune) != UnicodeCategory.Control) yield return rune.ToString();
        }
        if (word.Length > 0) yield return word.ToString();
    }

    private static uint Fnv1a(string s)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(s)) hash = (hash ^ b) * 16777619;
        return hash;
    }
}
