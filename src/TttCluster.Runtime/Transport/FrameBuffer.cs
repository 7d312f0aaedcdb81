using System.Buffers;
using System.Buffers.Binary;

namespace TttCluster.Runtime.Transport;

/// <summary>
/// A growable byte buffer rented from the shared array pool, for building a frame. Large byte blocks (a 6 MB scan state)
/// are not copied in: the frame refers to them and sends them from where they are, so a hand-off costs no extra copy.
/// Dispose returns the buffer to the pool.
/// </summary>
public sealed class FrameBuffer : IDisposable
{
    /// <summary>Blocks at least this long are referenced rather than copied.</summary>
    public const int ReferencedBlockBytes = 64 * 1024;

    private byte[] _bytes;
    private readonly List<(int At, ReadOnlyMemory<byte> Block)> _referenced = new();

    public FrameBuffer(long capacity) => _bytes = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(capacity, 256, Array.MaxLength));

    /// <summary>Bytes written into the buffer itself so far (not counting referenced blocks).</summary>
    public int Length { get; private set; }

    /// <summary>The frame's length: the buffer plus the referenced blocks.</summary>
    public long TotalLength => Length + _referenced.Sum(r => (long)r.Block.Length);

    /// <summary>The first <paramref name="count"/> bytes written, in place (to fill in a header).</summary>
    public Span<byte> Start(int count) => _bytes.AsSpan(0, Math.Min(count, Length));

    /// <summary>The frame in order: stretches of the buffer and the referenced blocks between them.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Pieces()
    {
        int from = 0;
        foreach (var (at, block) in _referenced)
        {
            if (at > from) yield return _bytes.AsMemory(from, at - from);
            yield return block;
            from = at;
        }
        if (Length > from) yield return _bytes.AsMemory(from, Length - from);
    }

    public byte[] ToArray()
    {
        var all = new byte[TotalLength];
        int at = 0;
        foreach (var piece in Pieces()) { piece.Span.CopyTo(all.AsSpan(at)); at += piece.Length; }
        return all;
    }

    /// <summary>The next <paramref name="count"/> bytes, to be filled by the caller; the buffer grows as needed.</summary>
    public Span<byte> Reserve(int count)
    {
        if ((long)Length + count > Array.MaxLength) throw new ArgumentException($"grain message: a frame over {Array.MaxLength} bytes");
        if (Length + count > _bytes.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(2L * _bytes.Length, (long)Length + count)));
            _bytes.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = larger;
        }
        var span = _bytes.AsSpan(Length, count);
        Length += count;
        return span;
    }

    public void WriteByte(byte value) => Reserve(1)[0] = value;
    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);
    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);
    public void Write(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>Appends a block; a large one is referenced, so the caller must leave it unchanged until the frame is sent.</summary>
    public void WriteBlock(ReadOnlyMemory<byte> block)
    {
        if (block.Length >= ReferencedBlockBytes) _referenced.Add((Length, block));
        else Write(block.Span);
    }

    public void Dispose()
    {
        var bytes = Interlocked.Exchange(ref _bytes, []);
        if (bytes.Length > 0) ArrayPool<byte>.Shared.Return(bytes);
    }
}
