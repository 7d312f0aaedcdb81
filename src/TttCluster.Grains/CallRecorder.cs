using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Orleans.Concurrency;
using TttCluster.Abstractions;

namespace TttCluster.Grains;

/// <summary>
/// Instruments a silo's segment grains for the benchmarks: records when each compute call (every segment call that
/// does not interleave: attention, scans, MLP, ...) started and ended, and can make the silo run one such call at a
/// time, so a recorded duration is the call's own work on the whole machine. Off by default; off, it costs two reads.
/// </summary>
public sealed class CallRecorder : IIncomingGrainCallFilter
{
    /// <summary>A segment call: the grain's key, the method, and its start and end in Stopwatch ticks.</summary>
    public readonly record struct Call(string Key, string Method, long Start, long End);

    private readonly ConcurrentQueue<Call> _calls = new();
    private readonly SemaphoreSlim _one = new(1, 1);

    public volatile bool Recording;
    public volatile bool OneCallAtATime;

    public IReadOnlyCollection<Call> Calls => _calls;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod;
        if (!(Recording || OneCallAtATime) || method?.DeclaringType != typeof(ISegmentGrain) || method.GetCustomAttribute<AlwaysInterleaveAttribute>() is not null)
        {
            await context.Invoke();
            return;
        }
        if (OneCallAtATime) await _one.WaitAsync();
        long start = Stopwatch.GetTimestamp();
        try
        {
            await context.Invoke();
        }
        finally
        {
            if (Recording) _calls.Enqueue(new Call(context.TargetId.Key.ToString() ?? "", method.Name, start, Stopwatch.GetTimestamp()));
            if (OneCallAtATime) _one.Release();
        }
    }
}
