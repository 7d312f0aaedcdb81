namespace TttCluster.Runtime;

/// <summary>The silos a coordinator can place segments on, and how it tells the cluster where each key lives.</summary>
public interface ISiloRoster
{
    /// <summary>The living silos (the dead are dropped; indexes refer to this list).</summary>
    IReadOnlyList<SiloInfo> Silos { get; }

    /// <summary>Makes every living silo route each segment key of story <paramref name="storyId"/> to the silo with the
    /// given id, and the story's own grains to wherever its coordinator runs; a silo that died meanwhile makes this fail
    /// with a GrainCallException (the caller re-places).</summary>
    Task PlaceAsync(string storyId, IReadOnlyDictionary<string, string> placement, CancellationToken cancel);

    /// <summary>Asks every silo now whether it is alive (after a failed call); one that does not answer is declared dead
    /// and leaves <see cref="Silos"/>.</summary>
    Task ProbeAsync(CancellationToken cancel);

    /// <summary>
    /// Cancelled when a silo is declared dead between probes (by heartbeats), so a coordinator stops waiting on a step
    /// that cannot finish; read it again afterwards for the next death.
    /// </summary>
    CancellationToken SiloLost { get; }
}

/// <summary>A silo as the coordinator sees it: its id and how many segments it should take relative to others.</summary>
public sealed record SiloInfo(string Id, int Capacity);
