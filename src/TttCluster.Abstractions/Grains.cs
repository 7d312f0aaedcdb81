namespace TttCluster.Abstractions;

/// <summary>A grain: addressed by a string key, activated on one silo, one call at a time (unless marked interleaving).</summary>
public interface IGrainWithStringKey;

/// <summary>
/// A call that may run while the grain is busy with another call (Orleans' AlwaysInterleave): it must only read state
/// no running call writes, or write state no running call reads.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlwaysInterleaveAttribute : Attribute;

/// <summary>
/// A call whose caller waits only until it is sent, not until it has run (Orleans' OneWay): for deposits whose arrival
/// the receiver waits for anyway. Between processes no answer comes back, so a failure on the receiving side is not
/// reported to the caller; the receiver, missing the deposit, fails or times out instead. It never activates a grain:
/// a deposit for a grain that is not active here (a late one, after its story was forgotten) is dropped. Must return a
/// plain Task; the runtime refuses anything else.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OneWayAttribute : Attribute;

/// <summary>
/// A call that lasts as long as its work (a whole story): the runtime gives it no deadline; the caller's token cancels it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LongRunningAttribute : Attribute;

/// <summary>Creates references to grains; where the grain runs is the runtime's business.</summary>
public interface IGrainFactory
{
    T GetGrain<T>(string key) where T : IGrainWithStringKey;
}
