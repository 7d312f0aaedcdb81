using System.Reflection;
using TttCluster.Abstractions;

namespace TttCluster.Runtime;

/// <summary>
/// A grain reference: every interface call is routed to the activation on the grain's silo, waits for the grain's
/// turn (unless the method is [AlwaysInterleave]) and runs under a deadline. The last parameter of every grain method
/// is a CancellationToken; the proxy replaces it with one that also fires at the deadline.
/// </summary>
public class GrainProxy : DispatchProxy
{
    private InProcessCluster _cluster = null!;
    private Type _interface = null!;
    private string _key = "";

    internal static T Create<T>(InProcessCluster cluster, string key) where T : IGrainWithStringKey
    {
        object proxy = Create<T, GrainProxy>()!;
        var p = (GrainProxy)proxy;
        p._cluster = cluster;
        p._interface = typeof(T);
        p._key = key;
        return (T)proxy;
    }

    private static readonly MethodInfo InvokeTypedMethod = typeof(GrainProxy).GetMethod(nameof(InvokeTyped), BindingFlags.NonPublic | BindingFlags.Instance)!;

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(method);
        args ??= [];
        Type returnType = method.ReturnType;
        Type result = returnType.IsGenericType ? returnType.GetGenericArguments()[0] : typeof(bool);
        var task = InvokeTypedMethod.MakeGenericMethod(result).Invoke(this, [method, args])!;
        return returnType.IsGenericType ? task : task;   // Task<bool> is a Task for void-returning methods
    }

    private async Task<TResult> InvokeTyped<TResult>(MethodInfo method, object?[] args)
    {
        string call = $"{_interface.Name}.{method.Name} on '{_key}'";
        var (silo, activation) = _cluster.Resolve(_interface, _key);
        int tokenIndex = Array.FindLastIndex(method.GetParameters(), p => p.ParameterType == typeof(CancellationToken));
        var callerToken = tokenIndex >= 0 ? (CancellationToken)args[tokenIndex]! : CancellationToken.None;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        deadline.CancelAfter(_cluster.CallDeadline);
        if (tokenIndex >= 0) args[tokenIndex] = deadline.Token;

        bool interleave = method.GetCustomAttribute<AlwaysInterleaveAttribute>() is not null;
        try
        {
            if (!interleave) await activation.Turn.WaitAsync(deadline.Token).ConfigureAwait(false);
            try
            {
                if (!silo.IsAlive) throw new GrainCallException($"{call}: silo {silo.Id} is dead");
                object? returned = method.Invoke(activation.Grain, args);
                if (returned is Task<TResult> typed) return await typed.ConfigureAwait(false);
                await ((Task)returned!).ConfigureAwait(false);
                return default!;
            }
            finally
            {
                if (!interleave) activation.Turn.Release();
            }
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new GrainCallException($"{call} (silo {silo.Id}) missed its deadline of {_cluster.CallDeadline}", e);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
