using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TttCluster.Model.Ttt;

/// <summary>
/// Everything the TTT scan hands from one segment to the next: the hidden state W1, b1, W2, b2 of every (batch, head),
/// plus the tokens of the mini-batch that is still open (mini-batches straddle segment boundaries, so up to b − 1 tokens
/// of earlier segments wait here for the rest of their mini-batch). Positions count in the direction of the scan.
/// Compact binary form: <see cref="ToBytes"/> / <see cref="FromBytes"/>.
/// </summary>
public sealed class ScanState
{
    public int Batch { get; }
    public int Heads { get; }
    public int HeadDim { get; }
    public int Hidden => 4 * HeadDim;
    /// <summary>[B, H, d, 4d]</summary>
    public float[] W1 { get; }
    /// <summary>[B, H, 4d]</summary>
    public float[] B1 { get; }
    /// <summary>[B, H, 4d, d]</summary>
    public float[] W2 { get; }
    /// <summary>[B, H, d]</summary>
    public float[] B2 { get; }
    /// <summary>Direction position of the next token the scan expects.</summary>
    public int NextPosition { get; internal set; }
    /// <summary>The open mini-batch's tokens (direction positions NextPosition − Carried.Rows ..).</summary>
    public TttInputs Carried { get; internal set; }

    public int CarriedStart => NextPosition - Carried.Rows;

    private ScanState(int batch, int heads, int headDim, float[] w1, float[] b1, float[] w2, float[] b2, int nextPosition, TttInputs carried)
    {
        Batch = batch; Heads = heads; HeadDim = headDim;
        W1 = w1; B1 = b1; W2 = w2; B2 = b2; NextPosition = nextPosition; Carried = carried;
    }

    /// <summary>The state at the start of a direction: the layer's learned W1, b1, W2, b2 tiled over the batch.</summary>
    public static ScanState Initial(int batch, int heads, int headDim, ReadOnlySpan<float> w1, ReadOnlySpan<float> b1, ReadOnlySpan<float> w2, ReadOnlySpan<float> b2)
    {
        float[] Tile(ReadOnlySpan<float> src)
        {
            var dst = new float[batch * src.Length];
            for (int b = 0; b < batch; b++) src.CopyTo(dst.AsSpan(b * src.Length));
            return dst;
        }
        int hid = 4 * headDim;
        if (w1.Length != heads * headDim * hid || b1.Length != heads * hid || w2.Length != heads * hid * headDim || b2.Length != heads * headDim)
            throw new ArgumentException($"initial TTT state does not fit H={heads}, d={headDim}");
        return new ScanState(batch, heads, headDim, Tile(w1), Tile(b1), Tile(w2), Tile(b2), 0, new TttInputs(batch, heads, headDim, 0));
    }

    private const ulong Magic = 0x314E414353545454UL; // "TTTSCAN1" little-endian
    private const int HeaderBytes = 8 + 5 * 4;

    public byte[] ToBytes()
    {
        int m = Carried.Rows;
        var floats = new[] { W1, B1, W2, B2, Carried.Q, Carried.K, Carried.Target, Carried.Eta };
        long total = HeaderBytes + floats.Sum(f => (long)f.Length) * 4;
        var bytes = new byte[total];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Batch);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], Heads);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], HeadDim);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], NextPosition);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], m);
        int offset = HeaderBytes;
        foreach (var f in floats)
        {
            MemoryMarshal.AsBytes(f.AsSpan()).CopyTo(span[offset..]);   // the engine runs on little-endian hosts only
            offset += f.Length * 4;
        }
        return bytes;
    }

    /// <summary>Parses <see cref="ToBytes"/>; malformed input gets a <see cref="FormatException"/> saying what is wrong.</summary>
    public static ScanState FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes)
            throw new FormatException($"scan state: expected at least {HeaderBytes} header bytes, found {bytes.Length}");
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes) != Magic)
            throw new FormatException("scan state: bad magic (expected 'TTTSCAN1')");
        int batch = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        int heads = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        int headDim = BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]);
        int next = BinaryPrimitives.ReadInt32LittleEndian(bytes[20..]);
        int m = BinaryPrimitives.ReadInt32LittleEndian(bytes[24..]);
        if (batch is < 1 or > 64 || heads is < 1 or > 4096 || headDim is < 1 or > 1024 || m < 0 || m > 1 << 16 || next < m)
            throw new FormatException($"scan state: implausible header (batch {batch}, heads {heads}, headDim {headDim}, next position {next}, carried {m})");
        long bh = (long)batch * heads, hid = 4L * headDim;
        long[] lengths = [bh * headDim * hid, bh * hid, bh * hid * headDim, bh * headDim, bh * m * headDim, bh * m * headDim, bh * m * headDim, bh * m];
        long expected = HeaderBytes + lengths.Sum() * 4;
        if (bytes.Length != expected)
            throw new FormatException($"scan state: expected {expected} bytes for batch {batch}, heads {heads}, headDim {headDim}, carried {m}; found {bytes.Length}");
        var arrays = new float[lengths.Length][];
        int offset = HeaderBytes;
        for (int i = 0; i < lengths.Length; i++)
        {
            arrays[i] = MemoryMarshal.Cast<byte, float>(bytes.Slice(offset, (int)lengths[i] * 4)).ToArray();
            offset += (int)lengths[i] * 4;
        }
        float[] w1 = arrays[0], b1 = arrays[1], w2 = arrays[2], b2 = arrays[3];
        var carried = new TttInputs(batch, heads, headDim, m, arrays[4], arrays[5], arrays[6], arrays[7]);
        return new ScanState(batch, heads, headDim, w1, b1, w2, b2, next, carried);
    }
}
