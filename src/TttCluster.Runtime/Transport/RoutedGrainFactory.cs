using System.Collections.Concurrent;
using System.Reflection;
using TttCluster.Abstractions;

namespace TttCluster.Runtime.Transport;

/// <summary>
/// A grain factory that knows where each key lives: keys placed on this process run on its local silo, all others go
/// over a grain connection to the silo the directory names. A coordinator fills the directory when it places a story.
/// </summary>
public sealed class RoutedGrainFactory(InProcessCluster local, SocketGrainInvoker remote) : IGrainFactory, IGrainInvoker, IGrainDirectory
{
    private readonly ConcurrentDictionary<string, Uri> _directory = new();

    /// <summary>This process's own grain address; keys routed here run locally.</summary>
    public Uri? Self { get; set; }

    /// <summary>Routes grain <paramref name="key"/> of <paramref name="grainInterface"/> to a silo's grain address.</summary>
    public void Route(Type grainInterface, string key, Uri silo) => _directory[DirectoryKey(grainInterface, key)] = silo;

    /// <summary>Routes a directory entry as <see cref="DirectoryKey"/> wrote it (from a pushed directory).</summary>
    public void Route(string directoryKey, Uri silo) => _directory[directoryKey] = silo;

    public void Forget(Type grainInterface, string key) => _directory.TryRemove(DirectoryKey(grainInterface, key), out _);

    public int Count => _directory.Count;

    /// <summary>A directory entry names the interface too: a story and a silo may share a key.</summary>
    public static string DirectoryKey(Type grainInterface, string key) => $"{grainInterface.Name}:{key}";

    public T GetGrain<T>(string key) where T : IGrainWithStringKey => GrainProxy.Create<T>(this, key);

    public Task<TResult> InvokeAsync<TResult>(Type grainInterface, string key, MethodInfo method, object?[] args) =>
        _directory.TryGetValue(DirectoryKey(grainInterface, key), out var silo) && silo != Self
            ? remote.InvokeAsync<TResult>(silo, grainInterface, key, method, args)
            : local.InvokeAsync<TResult>(grainInterface, key, method, args);
}
