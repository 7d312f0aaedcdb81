using System.Collections.Concurrent;
using System.Reflection;
using TttCluster.Abstractions;

namespace TttCluster.Runtime.Transport;

/// <summary>
/// A grain factory that knows where each key lives: keys placed on this process run on its local silo, all others go
/// over a grain connection to the silo the directory names. A coordinator fills the directory when it places a story.
/// </summary>
public sealed class RoutedGrainFactory(InProcessCluster local, SocketGrainInvoker remote) : IGrainFactory, IGrainInvoker
{
    private readonly ConcurrentDictionary<string, Uri> _directory = new();

    /// <summary>This process's own grain address; keys routed here run locally.</summary>
    public Uri? Self { get; set; }

    public void Route(string key, Uri silo) => _directory[key] = silo;

    public T GetGrain<T>(string key) where T : IGrainWithStringKey => GrainProxy.Create<T>(this, key);

    public Task<TResult> InvokeAsync<TResult>(Type grainInterface, string key, MethodInfo method, object?[] args) =>
        _directory.TryGetValue(key, out var silo) && silo != Self
            ? remote.InvokeAsync<TResult>(silo, grainInterface, key, method, args)
            : local.InvokeAsync<TResult>(grainInterface, key, method, args);
}
