using System.Reflection;
using TttCluster.Abstractions;

namespace TttCluster.Runtime;

/// <summary>
/// A grain reference: every interface call goes to an <see cref="IGrainInvoker"/>, which finds the grain's silo,
/// waits for the grain's turn and enforces the deadline. Methods return Task or Task&lt;T&gt;.
/// </summary>
public class GrainProxy : DispatchProxy
{
    private IGrainInvoker _invoker = null!;
    private Type _interface = null!;
    private string _key = "";

    internal static T Create<T>(IGrainInvoker invoker, string key) where T : IGrainWithStringKey
    {
        object proxy = Create<T, GrainProxy>()!;
        var p = (GrainProxy)proxy;
        p._invoker = invoker;
        p._interface = typeof(T);
        p._key = key;
        return (T)proxy;
    }

    private static readonly MethodInfo InvokeTyped = typeof(IGrainInvoker).GetMethod(nameof(IGrainInvoker.InvokeAsync))!;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<MethodInfo, MethodInfo> ClosedInvoke = new();

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(method);
        var invoke = ClosedInvoke.GetOrAdd(method, m => InvokeTyped.MakeGenericMethod(ResultType(m)));
        return invoke.Invoke(_invoker, [_interface, _key, method, args ?? []]);
    }

    /// <summary>T of Task&lt;T&gt;; bool for a plain Task (Task&lt;bool&gt; is a Task, so callers never see the difference).</summary>
    internal static Type ResultType(MethodInfo method) =>
        method.ReturnType.IsGenericType ? method.ReturnType.GetGenericArguments()[0] : typeof(bool);
}
