namespace TttCluster.Runtime;

/// <summary>The silos a coordinator can place segments on, and how it tells the cluster where each key lives.</summary>
public interface ISiloRoster
{
    IReadOnlyList<SiloInfo> Silos { get; }

    /// <summary>Makes every silo route each key to the silo given (index into <see cref="Silos"/>).</summary>
    Task PlaceAsync(IReadOnlyDictionary<string, int> placement, CancellationToken cancel);
}

/// <summary>A silo as the coordinator sees it: its id and how many segments it should take relative to others.</summary>
public sealed record SiloInfo(string Id, int Capacity);
