namespace TttCluster.Video;

/// <summary>
/// CRC-32 as PNG (and zlib, gzip, Ethernet) define it: reflected polynomial 0xEDB88320, initial value and final
/// XOR 0xFFFFFFFF. Written here because System.IO.Hashing is not a dependency of this project.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>: <c>Append(Start, data)</c> then <c>Finish</c>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>The running value before any byte; feed chunks with <see cref="Append"/>, end with <see cref="Finish"/>.</summary>
    public const uint Start = 0xFFFFFFFFu;

    public static uint Append(uint running, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
            running = Table[(running ^ b) & 0xFF] ^ (running >> 8);
        return running;
    }

    public static uint Finish(uint running) => running ^ 0xFFFFFFFFu;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int bit = 0; bit < 8; bit++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
