using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Model.Ttt;
using TttCluster.Runtime;

namespace TttCluster.Grains;

/// <summary>
/// The embedded cluster: N silos in this process sharing one loaded model, with the segment and coordinator grains
/// registered. Coordinators live on silo 0; segments where the coordinator's plan pins them.
/// </summary>
public static class ClusterHost
{
    /// <param name="checkpoints">Where coordinators keep each step's starting state; by default in memory.</param>
    public static InProcessCluster StartInProcess(ModelBundle model, int silos, int capacityPerSilo = 1, ICheckpointStore? checkpoints = null)
    {
        checkpoints ??= new InMemoryCheckpointStore();
        if (silos < 1) throw new ArgumentOutOfRangeException(nameof(silos), silos, "--silos: expected at least 1");
        var cluster = new InProcessCluster();
        for (int i = 0; i < silos; i++) cluster.AddSilo($"silo-{i}", capacityPerSilo);
        var subscriptions = new ProgressSubscriptions();
        RegisterWorkerGrains(cluster, cluster, model);
        cluster.Register<ICoordinatorGrain>((_, _) => new CoordinatorGrain(model.Config, cluster, cluster, checkpoints, subscriptions));
        cluster.Register<IStoryGrain>((key, _) => new StoryGrain(key, subscriptions));
        return cluster;
    }

    /// <summary>
    /// Registers what every silo hosts, in this process or a ttt-silo: segment grains and the silo's own grain (which
    /// lives on the silo it describes, key = silo id). They call other grains through <paramref name="grains"/> and
    /// share one head-group split of the scan, so the silo starts exactly the (segment, group) cells the segments expect.
    /// </summary>
    public static void RegisterWorkerGrains(InProcessCluster local, IGrainFactory grains, ModelBundle model)
    {
        var relay = new ProgressRelay(grains);
        var groups = ScanGroups.For(model.Config);
        local.Register<ISegmentGrain>((_, silo) => new SegmentGrain(model, grains, relay, groups, silo.Id));
        local.Register<ISiloGrain>((_, silo) => new SiloGrain(silo, grains, relay, groups), key => local.LocalSilos.ToList().FindIndex(s => s.Id == key));
    }
}
