using System.Reflection;

namespace TttCluster.Runtime;

/// <summary>Carries a grain call to wherever the grain lives: an activation in this process, or a silo in another one.</summary>
public interface IGrainInvoker
{
    /// <summary>Runs <paramref name="method"/> of grain <paramref name="key"/>; the last argument may be a CancellationToken.</summary>
    Task<TResult> InvokeAsync<TResult>(Type grainInterface, string key, MethodInfo method, object?[] args);
}
