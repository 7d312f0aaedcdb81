using System.Net;

namespace TttCluster.Gateway;

/// <summary>How `ttt serve` runs the farm.</summary>
/// <param name="Listen">The address the HTTP API listens on (loopback unless told otherwise).</param>
/// <param name="DataDirectory">
/// Where the farm keeps everything it must not lose (story records, checkpoints, videos) when <paramref name="Storage"/> is
/// null; with storage, only the generated API keys and the scratch space for encoding are kept there.
/// </param>
/// <param name="KeysFile">Lines "TENANT KEY"; null: the farm makes one tenant "default" with a random key, kept in the data folder.</param>
/// <param name="ConcurrentStories">How many stories render at once (they share the silos).</param>
/// <param name="Storage">
/// An Azure Storage connection string (Azurite locally): story records in its tables, checkpoints and videos in its
/// blobs, and the cluster's membership table there, so ttt-silo processes join with the same --storage.
/// </param>
/// <param name="SiloProcesses">How many ttt-silo processes the farm starts (and restarts when one dies); with any, the farm's own silo only coordinates.</param>
/// <param name="SiloPort">The farm's own silo port (silo-to-silo; ttt-silo joins it with --primary 127.0.0.1:PORT); 0: a free port.</param>
/// <param name="ModelPath">The model file, for the silo processes (this process has it loaded already).</param>
/// <param name="Capacity">This process's silo's share of the segments; 0: it only coordinates. Null: 1, or 0 with <paramref name="SiloProcesses"/>.</param>
/// <param name="Advertise">
/// The address other machines reach this process's silo at (its pod or container address); the silo then listens on
/// every interface. Null: the silo is on loopback, for ttt-silo processes on this machine only.
/// </param>
/// <param name="Previews">Per-step previews for the dashboard; null: on when the model's frames are cheap to decode (<see cref="StoryPreviews.OnByDefault"/>).</param>
public sealed record FarmSettings(IPAddress Listen, int Port, string DataDirectory, string? KeysFile, int ConcurrentStories = 2,
    string? Storage = null, int SiloProcesses = 0, int SiloPort = 0, string? ModelPath = null, bool? Previews = null,
    IPAddress? Advertise = null, int? Capacity = null)
{
    /// <summary>The share of the segments this process's silo takes (<see cref="Capacity"/>, or its default).</summary>
    public int SiloCapacity => Capacity ?? (SiloProcesses > 0 ? 0 : 1);

    /// <summary>Largest story document the API accepts, in bytes.</summary>
    public const int MaxStoryBytes = 256 * 1024;

    /// <summary>The blob container that holds the farm's blobs in <see cref="Storage"/>.</summary>
    public const string BlobContainer = "tttcluster";

    public string GrainsDirectory => Path.Combine(DataDirectory, "grains");
    public string BlobsDirectory => Path.Combine(DataDirectory, "blobs");
    public string ScratchDirectory => Path.Combine(DataDirectory, "scratch");
    public string GeneratedKeysFile => Path.Combine(DataDirectory, "api-keys");
}
