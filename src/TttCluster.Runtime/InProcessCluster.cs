using TttCluster.Abstractions;

namespace TttCluster.Runtime;

/// <summary>
/// Silos in this process and the grains on them: the embedded default (`ttt render --silos N`). A grain type is
/// registered with a factory and a placement (which silo hosts a key); activations are created on first call.
/// </summary>
public sealed class InProcessCluster : IGrainFactory, IGrainInvoker, ISiloRoster, IGrainDirectory
{
    private readonly List<Silo> _silos = new();
    private readonly Dictionary<Type, (Func<string, Silo, object> Create, Func<string, int> Place)> _types = new();
    private readonly Dictionary<string, int> _pinned = new();
    private readonly object _gate = new();

    public IReadOnlyList<Silo> LocalSilos => _silos;

    private Silo[] Living => _silos.Where(s => s.IsAlive).ToArray();

    IReadOnlyList<SiloInfo> ISiloRoster.Silos => Living.Select(s => new SiloInfo(s.Id, s.Capacity)).ToArray();

    Task ISiloRoster.PlaceAsync(string storyId, IReadOnlyDictionary<string, string> placement, CancellationToken cancel)
    {
        foreach (var (key, siloId) in placement)
        {
            int index = _silos.FindIndex(s => s.Id == siloId);
            if (index < 0 || !_silos[index].IsAlive) throw new GrainCallException($"cannot place '{key}' on silo {siloId}: it is not alive");
            Pin(key, index);
        }
        return Task.CompletedTask;
    }

    // In one process a silo is dead exactly when it was stopped, and then it has already left the living.
    Task ISiloRoster.ProbeAsync(CancellationToken cancel) => Task.CompletedTask;

    // A stopped silo fails every call to it at once, so nobody waits on it: no token needed.
    CancellationToken ISiloRoster.SiloLost => CancellationToken.None;

    /// <summary>Every grain call must finish within this, or it fails with a <see cref="GrainCallException"/>.</summary>
    public TimeSpan CallDeadline { get; init; } = TimeSpan.FromMinutes(10);

    public Silo AddSilo(string id, int capacity)
    {
        var silo = new Silo(id, capacity);
        lock (_gate) _silos.Add(silo);
        return silo;
    }

    /// <summary>Registers a grain class behind its interface; <paramref name="place"/> maps a key to a silo index.</summary>
    public void Register<TInterface>(Func<string, Silo, TInterface> create, Func<string, int>? place = null) where TInterface : IGrainWithStringKey
    {
        lock (_gate) _types[typeof(TInterface)] = ((key, silo) => create(key, silo)!, place ?? (_ => 0));
    }

    /// <summary>Places a key on a silo explicitly (the coordinator's segment plan); later calls go there.</summary>
    public void Pin(string key, int siloIndex)
    {
        lock (_gate) _pinned[key] = siloIndex;
    }

    // Pins are by key alone: within one process a key names one placement whatever the interface.
    void IGrainDirectory.Forget(Type grainInterface, string key)
    {
        lock (_gate) _pinned.Remove(key);
    }

    int IGrainDirectory.Count { get { lock (_gate) return _pinned.Count; } }

    public T GetGrain<T>(string key) where T : IGrainWithStringKey => GrainProxy.Create<T>(this, key);

    public async Task<TResult> InvokeAsync<TResult>(Type grainInterface, string key, System.Reflection.MethodInfo method, object?[] args)
    {
        // A call whose caller has already given up (a silo's part of a step, cancelled while its story is being forgotten)
        // neither runs nor activates a grain: the activation would outlive the story.
        var shape = GrainMethod.Of(method);
        shape.TokenIn(args).ThrowIfCancellationRequested();
        // A one-way message (a neighbour's push, a progress report) never activates a grain: one that is not active here
        // (its story was forgotten, a late push from an abandoned call) has nobody waiting for it.
        bool activate = !shape.OneWay;
        if (Resolve(grainInterface, key, activate) is not var (silo, activation)) return default!;   // may throw: seen through the task
        return await ActivationCall.RunAsync<TResult>(silo, activation, key, $"{grainInterface.Name}.{method.Name} on '{key}'", method, args, CallDeadline);
    }

    /// <summary>The grain's silo and activation; null when it is not active and <paramref name="activate"/> is false.</summary>
    internal (Silo Silo, Silo.Activation Activation)? Resolve(Type grainInterface, string key, bool activate = true)
    {
        lock (_gate)
        {
            if (!_types.TryGetValue(grainInterface, out var type))
                throw new GrainCallException($"no grain class is registered for {grainInterface.Name}");
            int index = _pinned.TryGetValue(key, out int pinned) ? pinned : type.Place(key);
            if (index < 0 || index >= _silos.Count) throw new GrainCallException($"{grainInterface.Name} '{key}' is placed on silo {index}, which does not exist");
            var silo = _silos[index];
            if (!silo.IsAlive) throw new GrainCallException($"{grainInterface.Name} '{key}': silo {silo.Id} is dead");
            if (!activate) return silo.Activations.TryGetValue((grainInterface, key), out var existing) ? (silo, existing) : null;
            var activation = silo.Activations.GetOrAdd((grainInterface, key), _ => new Silo.Activation(type.Create(key, silo)));
            return (silo, activation);
        }
    }
}
