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

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(method);
        return GrainMethod.Of(method).Invoker.Invoke(_invoker, [_interface, _key, method, args ?? []]);
    }
}
