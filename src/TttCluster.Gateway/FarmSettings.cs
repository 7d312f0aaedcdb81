using System.Net;

namespace TttCluster.Gateway;

/// <summary>How `ttt serve` runs the farm.</summary>
/// <param name="Listen">The address the HTTP API listens on (loopback unless told otherwise).</param>
/// <param name="DataDirectory">Where the farm keeps everything it must not lose: story records, checkpoints, videos.</param>
/// <param name="KeysFile">Lines "TENANT KEY"; null: the farm makes one tenant "default" with a random key, kept in the data folder.</param>
/// <param name="ConcurrentStories">How many stories render at once (they share the silos).</param>
public sealed record FarmSettings(IPAddress Listen, int Port, string DataDirectory, string? KeysFile, int ConcurrentStories = 2)
{
    /// <summary>Largest story document the API accepts, in bytes.</summary>
    public const int MaxStoryBytes = 256 * 1024;

    public string GrainsDirectory => Path.Combine(DataDirectory, "grains");
    public string BlobsDirectory => Path.Combine(DataDirectory, "blobs");
    public string ScratchDirectory => Path.Combine(DataDirectory, "scratch");
    public string GeneratedKeysFile => Path.Combine(DataDirectory, "api-keys");
}
