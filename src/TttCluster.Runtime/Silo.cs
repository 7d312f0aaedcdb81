using System.Collections.Concurrent;

namespace TttCluster.Runtime;

/// <summary>
/// A silo in this process: it hosts activations, each with a turn lock so a grain handles one call at a time. What its
/// grains share (the loaded model) their factories capture when they are registered.
/// </summary>
public sealed class Silo(string id, int capacity)
{
    public string Id { get; } = id;
    public int Capacity { get; } = capacity;
    public bool IsAlive { get; private set; } = true;

    internal ConcurrentDictionary<(Type Interface, string Key), Activation> Activations { get; } = new();

    /// <summary>Grains active on this silo now.</summary>
    public int ActivationCount => Activations.Count;

    private readonly ConcurrentQueue<CallRecord> _calls = new();

    /// <summary>
    /// When set, the silo runs one turn-taking call at a time (long-running ones excepted), so a recorded call's duration
    /// is its work alone, not its share of cores its neighbours were using too. For measuring schedules, not for serving.
    /// </summary>
    public bool OneCallAtATime { get; set; }

    internal SemaphoreSlim Exclusive { get; } = new(1, 1);

    /// <summary>When set, every turn-taking call is recorded (method, start, end in Stopwatch ticks), for schedule analysis.</summary>
    public bool RecordCalls { get; set; }

    /// <summary>The calls recorded since <see cref="RecordCalls"/> was set.</summary>
    public IReadOnlyCollection<CallRecord> Calls => _calls;

    internal void RecordCall(string key, string method, long start, long end)
    {
        if (RecordCalls) _calls.Enqueue(new CallRecord(Id, key, method, start, end));
    }

    /// <summary>
    /// Drops a grain's activation if <paramref name="condition"/> holds for the grain object (or always, without one);
    /// a later call would activate it afresh.
    /// </summary>
    public bool Deactivate(Type grainInterface, string key, Func<object, bool>? condition = null) =>
        Activations.TryGetValue((grainInterface, key), out var activation) && (condition is null || condition(activation.Grain))
        && Activations.TryRemove(new KeyValuePair<(Type, string), Activation>((grainInterface, key), activation));

    /// <summary>Stops the silo: its activations are gone, calls to it fail with a clear error.</summary>
    public void Stop()
    {
        IsAlive = false;
        Activations.Clear();
    }

    /// <summary>One grain call a silo ran: which method, and when (Stopwatch timestamps).</summary>
    public sealed record CallRecord(string Silo, string Key, string Method, long Start, long End);

    internal sealed class Activation(object grain)
    {
        public object Grain { get; } = grain;
        public SemaphoreSlim Turn { get; } = new(1, 1);
    }
}
