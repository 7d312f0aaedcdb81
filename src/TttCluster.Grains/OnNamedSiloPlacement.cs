using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// Placement on the silo the grain's key names (<see cref="SegmentKeys.SiloOf"/>): a segment goes where its story's plan
/// put it (contiguous ranges sized by capacity), and a silo's own grain lives on that silo.
/// </summary>
public sealed class OnNamedSiloPlacement : PlacementStrategy
{
    public static readonly OnNamedSiloPlacement Instance = new();
}

/// <summary>Places the grain class with <see cref="OnNamedSiloPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class OnNamedSiloPlacementAttribute() : PlacementAttribute(OnNamedSiloPlacement.Instance);

/// <summary>
/// Finds the active silo whose name (SiloOptions.SiloName) the key gives. None active by that name: the activation fails
/// with the name in the message (the coordinator then re-plans on the silos that are active).
/// </summary>
public sealed class OnNamedSiloDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        string key = target.GrainIdentity.Key.ToString() ?? "";
        string name = SegmentKeys.SiloOf(key);
        var compatible = context.GetCompatibleSilos(target);
        foreach (var member in membership.CurrentSnapshot.Members.Values)
            if (member.Status == SiloStatus.Active && member.Name == name && compatible.Contains(member.SiloAddress))
                return Task.FromResult(member.SiloAddress);
        throw new SiloUnavailableException($"grain {target.GrainIdentity}: its key names silo '{name}', which is not an active member of the cluster");
    }
}
