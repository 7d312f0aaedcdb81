using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using TttCluster.Model;
using TttCluster.Model.Ttt;

namespace TttCluster.Grains;

/// <summary>Who this silo is in the farm: its name in the membership (the grains' keys name silos) and how much work it takes.</summary>
/// <param name="Capacity">Segments' share of work it takes relative to other silos; 0: it hosts coordinators and story records only.</param>
public sealed record SiloIdentity(string Name, int Capacity);

/// <summary>
/// What every silo of the farm is configured with, in this process, in ttt-silo, and in tests: the grains' services (one
/// loaded model shared by all grains of the silo), the placement, and membership tuned to find a dead silo in about a second.
/// </summary>
public static class SiloSetup
{
    /// <summary>The cluster's ids when nothing else is configured (development clustering, loopback).</summary>
    public const string DefaultClusterId = "ttt", DefaultServiceId = "tttcluster";

    /// <summary>
    /// Liveness: each silo is probed every second by its monitors; a probe unanswered within 1 s counts as missed, and
    /// two missed make a silo suspected by that monitor; two votes (or one, when only two silos are there to vote)
    /// declare it dead. Measured on loopback: about a second from SIGKILL to declared dead (the defaults take ~7 s).
    /// </summary>
    public static void TuneMembership(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromSeconds(1);
        options.NumMissedProbesLimit = 2;
        options.NumVotesForDeathDeclaration = 2;
        options.NumProbedSilos = 3;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        // A silo that stopped writing "I am alive" for NumMissedTableIAmAliveLimit periods is stale: a joining silo
        // need not reach it, and one vote evicts it. A farm started again right after a crash finds its own dead entry
        // in a shared membership table (Azure); it joins once that entry is stale: ~6 s here, ~30 s with 10 s periods.
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
        options.NumMissedTableIAmAliveLimit = 3;
        options.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);
    }

    /// <param name="name">The silo's name in the membership; null: the host's own choice (a test cluster names its silos).</param>
    /// <param name="capacity">See <see cref="SiloIdentity.Capacity"/>.</param>
    /// <param name="checkpoints">Where coordinators on this silo keep checkpoints; null: in memory (one-shot renders).</param>
    public static void Configure(ISiloBuilder silo, ModelBundle model, string? name, int capacity, Func<IServiceProvider, ICheckpointStore>? checkpoints = null)
    {
        if (name is not null) silo.Configure<SiloOptions>(o => o.SiloName = name);
        silo.Configure<ClusterMembershipOptions>(TuneMembership);
        silo.Configure<SiloMessagingOptions>(o =>
        {
            // Calls that are not a whole story (those have their own deadline) end in seconds on a CPU silo; the coordinator
            // gives up on a step at once when membership declares a silo of its placement dead, so this only bounds a bug.
            o.ResponseTimeout = TimeSpan.FromMinutes(10);
            // A segment's turn is a whole attention or scan: long by Orleans' standards, and expected.
            o.RequestProcessingWarningTime = TimeSpan.FromMinutes(2);
        });
        silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(10));
        silo.AddPlacementDirector<OnNamedSiloPlacement, OnNamedSiloDirector>();
        LargeBlockMemoryPool.InstallOn(silo);
        // The strongly consistent grain directory: when a silo dies, the survivors recover its directory partition from
        // the activations they hold. The default directory loses the entries the dead silo kept, so a later call could
        // start a second activation of a live grain (a story record that never saw its story begin).
        // Experimental in Orleans 10 (ORLEANSEXP003), and the directory Orleans means to make the default.
#pragma warning disable ORLEANSEXP003
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        // After a crash that directory holds the dead silo's ranges for a lease (30 s less the failure-detection window:
        // ~22 s here) in case the silo still runs and serves its grains; every new grain whose key hashes there waits,
        // and so did the redo. Nothing of ours can be duplicated by a silo wrongly declared dead: segment grains carry
        // the attempt and the silo in their keys and are only ever placed on that silo, and the story's coordinator
        // and record live on the coordinator's silo, whose death ends the render anyway. So no lease.
        silo.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.Zero);
        var services = silo.Services;
        services.AddSingleton(model);
        services.AddSingleton(provider => new SiloIdentity(provider.GetRequiredService<ILocalSiloDetails>().Name, capacity));
        services.AddSingleton(ScanGroups.For(model.Config));
        services.AddSingleton<ProgressRelay>();
        services.AddSingleton<SegmentCount>();
        if (checkpoints is null) services.AddSingleton<ICheckpointStore, InMemoryCheckpointStore>();
        else services.AddSingleton(checkpoints);
        services.AddSingleton<CallRecorder>();
        services.AddSingleton<IIncomingGrainCallFilter>(provider => provider.GetRequiredService<CallRecorder>());
    }
}

/// <summary>The segment grains active on this silo, by story (a silo's status reports them).</summary>
public sealed class SegmentCount
{
    private readonly Dictionary<string, int> _byStory = new(StringComparer.Ordinal);
    private int _active;

    public int Active => Volatile.Read(ref _active);

    /// <summary>The stories with segments here now, in id order.</summary>
    public string[] Stories
    {
        get { lock (_byStory) return _byStory.Keys.Order(StringComparer.Ordinal).ToArray(); }
    }

    public void Activated(string storyId)
    {
        lock (_byStory) _byStory[storyId] = _byStory.GetValueOrDefault(storyId) + 1;
        Interlocked.Increment(ref _active);
    }

    public void Deactivated(string storyId)
    {
        lock (_byStory)
        {
            int left = _byStory.GetValueOrDefault(storyId) - 1;
            if (left > 0) _byStory[storyId] = left;
            else _byStory.Remove(storyId);
        }
        Interlocked.Decrement(ref _active);
    }
}
