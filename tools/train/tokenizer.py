"""The Tiny model's tokenizer, ported from src/TttCluster.Model/Text/WordTokenizer.cs (the C# engine is the contract
here: the ids the trained text embedding is indexed by must be the ids `ttt render` computes).

Lower-cased NFKC text is cut into words (runs of letters and digits) and single punctuation marks; each piece is
hashed with 32-bit FNV-1a over its UTF-8 bytes into ids above the three special tokens. Every scene is wrapped in
start-scene and end-scene tokens and padded with the padding token to the model's TextTokensPerSegment.
"""
import unicodedata

PADDING, START_SCENE, END_SCENE, SPECIAL_TOKENS = 0, 1, 2, 3

# .NET's Rune.IsLetterOrDigit: the letter categories and decimal digits (not Nl / No, which Python's isalnum takes).
_LETTER_OR_DIGIT = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"}
# .NET's Rune.IsWhiteSpace: the separator categories plus the C0/C1 white-space controls.
_WHITE_CONTROLS = {"\t", "\n", "\v", "\f", "\r", "\x85"}


def fnv1a(piece):
    h = 2166136261
    for b in piece.encode("utf-8"):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def pieces(text):
    """Words and single punctuation marks of lower-cased NFKC text, as WordTokenizer.Pieces."""
    text = unicodedata.normalize("NFKC", text).lower()
    word = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in _LETTER_OR_DIGIT:
            word.append(ch)
            continue
        if word:
            yield "".join(word)
            word = []
        white = cat in ("Zs", "Zl", "Zp") or ch in _WHITE_CONTROLS
        if not white and cat != "Cc":
            yield ch
    if word:
        yield "".join(word)


def tokenize(text, vocabulary_size):
    """[start_scene, word ids..., end_scene], unpadded."""
    span = vocabulary_size - SPECIAL_TOKENS
    return [START_SCENE] + [SPECIAL_TOKENS + fnv1a(p) % span for p in pieces(text)] + [END_SCENE]


def encode_ids(text, vocabulary_size, tokens_per_segment):
    """Token ids padded to tokens_per_segment; a text that does not fit is an error (as HashedTextEncoder.Encode)."""
    ids = tokenize(text, vocabulary_size)
    if len(ids) > tokens_per_segment:
        raise ValueError(f"text has {len(ids)} tokens (with start and end of scene); the model takes at most "
                         f"{tokens_per_segment}: {text!r}")
    return ids + [PADDING] * (tokens_per_segment - len(ids))
