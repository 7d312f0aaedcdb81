using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TttCluster.Tensors;

namespace TttCluster.Model.Weights;

/// <summary>
/// An open safetensors file: the header is read and validated on <see cref="Open"/>, tensor data only when a tensor
/// is <see cref="Read"/>, so a multi-GB file costs one pass over the data at most. Reads are positional and do not
/// share a file position, so several threads may read different tensors at once.
/// </summary>
/// <remarks>Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data buffer.</remarks>
public sealed class SafetensorsFile : IDisposable
{
    internal const int LengthPrefixBytes = 8;

    /// <summary>Headers past this are refused before allocating them; real headers are kilobytes.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Elements converted per step when reading 16-bit data, to bound the scratch buffer (512 KB).</summary>
    internal const int ChunkElements = 1 << 18;

    /// <summary>
    /// Elements per read call for F32, which reads straight into the tensor and needs no scratch buffer: large, to
    /// keep the number of system calls low on multi-GB files, yet well within what one Span of bytes can address.
    /// </summary>
    internal const int F32ChunkElements = 1 << 24;

    private readonly SafeFileHandle _handle;
    private readonly long _dataStart;
    private readonly Dictionary<string, TensorInfo> _byName;

    /// <summary>The path the file was opened with; every error message starts with it.</summary>
    public string Path { get; }

    /// <summary>The header's "__metadata__" (empty when absent), e.g. "ttt_config" → the model config as JSON.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, in header order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    private SafetensorsFile(string path, SafeFileHandle handle, long dataStart,
        IReadOnlyDictionary<string, string> metadata, IReadOnlyList<TensorInfo> tensors)
    {
        Path = path;
        _handle = handle;
        _dataStart = dataStart;
        Metadata = metadata;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="WeightsFileException"/> if it is malformed.</summary>
    public static SafetensorsFile Open(string path)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            byte[] header = ReadHeader(path, handle, fileLength);
            var (metadata, tensors) = SafetensorsHeaderParser.Parse(path, header, fileLength);
            return new SafetensorsFile(path, handle, LengthPrefixBytes + header.Length, metadata, tensors);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry for <paramref name="name"/>; throws <see cref="WeightsFileException"/> if there is none.</summary>
    public TensorInfo GetInfo(string name)
    {
        if (_byName.TryGetValue(name, out TensorInfo? info)) return info;

        string[] similar = Tensors.Select(t => t.Name)
            .OrderByDescending(candidate => CommonPrefixLength(candidate, name))
            .Take(3).ToArray();
        throw WeightsFileException.Mismatch(Path, name, "a tensor of that name", $"none among {Tensors.Count} tensors",
            similar.Length == 0 ? "the file holds no tensors" : "closest names: " + string.Join(", ", similar.Select(s => $"'{s}'")));
    }

    /// <summary>
    /// Reads tensor <paramref name="name"/> as fp32: F32 as stored, F16 and BF16 widened exactly. Throws
    /// <see cref="WeightsFileException"/> for any other dtype and for NaN or ±Inf values.
    /// </summary>
    public Tensor Read(string name)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        TensorInfo info = GetInfo(name);
        if (!info.DType.IsFloating())
            throw WeightsFileException.Mismatch(Path, name, $"dtype {SafetensorsDTypes.FloatingHeaderNames}", info.DType.ToHeaderName(),
                $"only floating-point weights can be loaded; convert this tensor to one of {SafetensorsDTypes.FloatingHeaderNames}");

        var data = new float[info.ElementCount];
        long fileOffset = _dataStart + info.DataBegin;
        if (info.DType == SafetensorsDType.F32)
            ReadF32(info, fileOffset, data);
        else
            Read16Bit(info, fileOffset, data);

        ThrowIfNonFinite(info, data);
        return new Tensor(data, [.. info.Shape]);
    }

    public void Dispose() => _handle.Dispose();

    private static byte[] ReadHeader(string path, SafeFileHandle handle, long fileLength)
    {
        if (fileLength < LengthPrefixBytes)
            throw WeightsFileException.Mismatch(path, null, $"at least {LengthPrefixBytes} bytes (the header length)",
                $"a file of {fileLength} bytes", "the file is empty or truncated, or not a safetensors file");

        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        ReadExactly(path, null, handle, 0, prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);

        if (headerLength > MaxHeaderBytes)
            throw WeightsFileException.Mismatch(path, null, $"a header length of at most {MaxHeaderBytes} bytes",
                $"{headerLength} bytes", "the file is not safetensors (a .bin/.pt pickle or a .gguf?) or its first 8 bytes are corrupted");
        if ((long)headerLength > fileLength - LengthPrefixBytes)
            throw WeightsFileException.Mismatch(path, null, $"a header that fits in the file ({fileLength} bytes)",
                $"a header length of {headerLength} bytes, which needs a file of at least {LengthPrefixBytes + (long)headerLength} bytes",
                "the file is truncated, or not a safetensors file");

        var header = new byte[headerLength];
        ReadExactly(path, null, handle, LengthPrefixBytes, header);
        return header;
    }

    private void ReadF32(TensorInfo info, long fileOffset, float[] data)
    {
        // Straight into the float array: fp32 little-endian is the in-memory layout on every host .NET runs on today.
        for (int start = 0; start < data.Length; start += F32ChunkElements)
        {
            Span<float> chunk = data.AsSpan(start, Math.Min(F32ChunkElements, data.Length - start));
            ReadExactly(Path, info.Name, _handle, fileOffset + (long)start * sizeof(float), MemoryMarshal.AsBytes(chunk));
            FloatCodec.SwapIfBigEndian(chunk);
        }
    }

    private void Read16Bit(TensorInfo info, long fileOffset, float[] data)
    {
        ushort[] scratch = ArrayPool<ushort>.Shared.Rent(Math.Min(ChunkElements, data.Length));
        try
        {
            for (int start = 0; start < data.Length; start += ChunkElements)
            {
                int count = Math.Min(ChunkElements, data.Length - start);
                Span<ushort> bits = scratch.AsSpan(0, count);
                ReadExactly(Path, info.Name, _handle, fileOffset + (long)start * sizeof(ushort), MemoryMarshal.AsBytes(bits));
                FloatCodec.SwapIfBigEndian(bits);
                if (info.DType == SafetensorsDType.F16)
                    FloatCodec.WidenF16(bits, data.AsSpan(start, count));
                else
                    FloatCodec.WidenBF16(bits, data.AsSpan(start, count));
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(scratch);
        }
    }

    private void ThrowIfNonFinite(TensorInfo info, float[] data)
    {
        int at = NonFiniteScan.IndexOfFirstNonFinite(data);
        if (at < 0) return;
        throw new WeightsFileException(Path, info.Name,
            $"has {NonFiniteScan.Describe(data[at])} at element {at} (index {NonFiniteScan.FormatIndex(at, info.Shape)}); expected finite values",
            "the checkpoint diverged during training or was corrupted on export; use an earlier checkpoint");
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="fileOffset"/>, or throws if the file ends first.</summary>
    private static void ReadExactly(string path, string? tensor, SafeFileHandle handle, long fileOffset, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int read = RandomAccess.Read(handle, destination, fileOffset);
            if (read == 0)
                throw WeightsFileException.Mismatch(path, tensor, $"{destination.Length} more bytes at offset {fileOffset}", "the end of the file",
                    "the file was shortened while it was open; do not overwrite weights in place while they load");
            destination = destination[read..];
            fileOffset += read;
        }
    }

    private static int CommonPrefixLength(string a, string b)
    {
        int n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
        return n;
    }
}
