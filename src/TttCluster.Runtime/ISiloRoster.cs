namespace TttCluster.Runtime;

/// <summary>The silos a coordinator can place segments on, and how it tells the cluster where each key lives.</summary>
public interface ISiloRoster
{
    /// <summary>The living silos (the dead are dropped; indexes refer to this list).</summary>
    IReadOnlyList<SiloInfo> Silos { get; }

    /// <summary>Makes every living silo route each key to the silo given (index into <see cref="Silos"/>).</summary>
    Task PlaceAsync(IReadOnlyDictionary<string, int> placement, CancellationToken cancel);

    /// <summary>Asks every silo now whether it is alive (after a failed call); returns how many were declared dead.</summary>
    Task<int> ProbeAsync(CancellationToken cancel);
}

/// <summary>A silo as the coordinator sees it: its id and how many segments it should take relative to others.</summary>
public sealed record SiloInfo(string Id, int Capacity);
