using TttCluster.Abstractions;
using TttCluster.Runtime;

namespace TttCluster.Grains;

/// <summary>A silo's own grain (key: silo id): its capacity and how many activations it holds.</summary>
public sealed class SiloGrain(Silo silo) : ISiloGrain
{
    Task<SiloStatus> ISiloGrain.GetStatusAsync(CancellationToken cancel) =>
        Task.FromResult(new SiloStatus(silo.Id, silo.Capacity, silo.ActivationCount));
}
