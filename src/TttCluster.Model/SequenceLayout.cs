namespace TttCluster.Model;

/// <summary>
/// Where every token of an n-segment story sits (docs/MODEL.md §2). The engine keeps activations in SCAN ORDER:
/// segment k's chunk is [text_k ; its own frames], and the chunks follow each other. That order makes the tokens of any
/// contiguous range of segments one contiguous slice, which is what a silo holds and what the TTT scan walks.
/// </summary>
public sealed class SequenceLayout
{
    public ModelConfig Config { get; }
    /// <summary>Segments n (one per 3-second scene).</summary>
    public int Segments { get; }
    /// <summary>Latent frames T = 1 + F·n.</summary>
    public int Frames { get; }
    public int TextTokens => Segments * Config.TextTokensPerSegment;
    public int VideoTokens => Frames * Config.TokensPerFrame;
    public int TotalTokens => TextTokens + VideoTokens;

    private readonly int[] _chunkStart;

    public SequenceLayout(ModelConfig config, int segments)
    {
        Config = config.Validate();
        if (segments < 1) throw new ModelConfigException("segments", "at least 1 segment", segments.ToString());
        long tokens = (long)segments * config.TextTokensPerSegment + (1L + (long)config.FramesPerSegment * segments) * config.TokensPerFrame;
        if (tokens > int.MaxValue / Math.Max(1, config.Width))
            throw new ModelConfigException("segments", $"a story whose activations fit in memory", $"{segments} segments = {tokens} tokens");
        Segments = segments;
        Frames = 1 + config.FramesPerSegment * segments;
        _chunkStart = new int[segments + 1];
        for (int k = 0; k < segments; k++) _chunkStart[k + 1] = _chunkStart[k] + ChunkLength(k);
    }

    /// <summary>First latent frame owned by segment k: 0 for k = 0, F·k + 1 after (frame F·k belongs to segment k − 1).</summary>
    public int FirstOwnFrame(int k) => k == 0 ? 0 : Config.FramesPerSegment * k + 1;

    /// <summary>Frames owned by segment k: F + 1 for segment 0, F after.</summary>
    public int OwnFrames(int k) => k == 0 ? Config.FramesPerSegment + 1 : Config.FramesPerSegment;

    /// <summary>Tokens of segment k's chunk: its text, then its own frames.</summary>
    public int ChunkLength(int k) => Config.TextTokensPerSegment + OwnFrames(k) * Config.TokensPerFrame;

    /// <summary>Scan position of the first token of segment k's chunk.</summary>
    public int ChunkStart(int k) => _chunkStart[k];

    /// <summary>Scan positions of segments [first, first + count).</summary>
    public (int Start, int Length) RangeTokens(int first, int count) => (_chunkStart[first], _chunkStart[first + count] - _chunkStart[first]);

    /// <summary>First frame of attention window k: windows cover frames F·k .. F·k + F, neighbours share frame F·k.</summary>
    public int WindowFirstFrame(int k) => Config.FramesPerSegment * k;

    /// <summary>Tokens of one attention window: text_k plus F + 1 frames.</summary>
    public int WindowLength => Config.TextTokensPerSegment + (Config.FramesPerSegment + 1) * Config.TokensPerFrame;

    /// <summary>Model-order index ([all text | all video]) of the token at scan position p.</summary>
    public int ModelIndexOfScanPosition(int p)
    {
        int k = SegmentOfScanPosition(p);
        int local = p - _chunkStart[k];
        int lt = Config.TextTokensPerSegment;
        return local < lt ? k * lt + local : TextTokens + FirstOwnFrame(k) * Config.TokensPerFrame + (local - lt);
    }

    /// <summary>The segment whose chunk holds scan position p.</summary>
    public int SegmentOfScanPosition(int p)
    {
        if ((uint)p >= (uint)TotalTokens) throw new ArgumentOutOfRangeException(nameof(p), p, $"scan positions are 0..{TotalTokens - 1}");
        int k = Array.BinarySearch(_chunkStart, p);
        return k >= 0 ? Math.Min(k, Segments - 1) : ~k - 1;
    }

    /// <summary>Global (frame, row, column) of local video token v of segment k (v counts from the segment's first own frame).</summary>
    public (int Frame, int Row, int Col) VideoPosition(int k, int v)
    {
        int p = Config.TokensPerFrame;
        return (FirstOwnFrame(k) + v / p, v % p / Config.PatchCols, v % Config.PatchCols);
    }
}
