using System.Buffers.Binary;
using System.Runtime.InteropServices;
using TttCluster.Storage;

namespace TttCluster.Grains.Farm;

/// <summary>
/// A story's latest checkpoint as one blob, <c>checkpoints/{story}</c>, replaced whole at the start of every step: it
/// outlives the farm's processes, so a story whose processes were killed resumes from its last finished step.
/// Layout: "TTTCKPT1", step (int32), job fingerprint (uint64), float count (int32), the floats; little-endian.
/// </summary>
public sealed class BlobCheckpointStore(IBlobStore blobs) : ICheckpointStore
{
    private static ReadOnlySpan<byte> Magic => "TTTCKPT1"u8;
    private const int HeaderBytes = 8 + 4 + 8 + 4;

    public static string BlobName(string storyId) => $"checkpoints/{storyId}";

    public Task SaveAsync(string storyId, Checkpoint checkpoint, CancellationToken cancel)
    {
        var floats = MemoryMarshal.AsBytes(checkpoint.Latents.AsSpan());
        var bytes = new byte[HeaderBytes + floats.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), checkpoint.Step);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), checkpoint.Fingerprint);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), checkpoint.Latents.Length);
        floats.CopyTo(bytes.AsSpan(HeaderBytes));
        return blobs.WriteAsync(BlobName(storyId), bytes, cancel);
    }

    public async Task<Checkpoint?> LatestAsync(string storyId, CancellationToken cancel)
    {
        byte[]? bytes = await blobs.ReadAsync(BlobName(storyId), cancel);
        if (bytes is null) return null;
        string name = BlobName(storyId);
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"checkpoint {name}: not a checkpoint (expected the header TTTCKPT1, found {bytes.Length} bytes of something else)");
        int step = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        ulong fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(12));
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20));
        if (step < 0 || count < 0 || (long)count * sizeof(float) != bytes.Length - HeaderBytes)
            throw new InvalidDataException($"checkpoint {name}: step {step} and {count} floats do not match its {bytes.Length - HeaderBytes} bytes of data");
        var latents = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(HeaderBytes)).ToArray();
        return new Checkpoint(step, fingerprint, latents);
    }

    public Task DeleteAsync(string storyId, CancellationToken cancel) => blobs.DeleteAsync(BlobName(storyId), cancel);
}
