using System.Collections.Concurrent;
using System.Reflection;
using TttCluster.Abstractions;

namespace TttCluster.Runtime;

/// <summary>
/// What the runtime needs to know about a grain interface method, worked out once per method (reflection is slow per
/// call): where its CancellationToken is, which parameters travel, what it returns, how it is to be called.
/// </summary>
internal sealed class GrainMethod
{
    private static readonly ConcurrentDictionary<MethodInfo, GrainMethod> Cache = new();
    private static readonly MethodInfo InvokeTyped = typeof(IGrainInvoker).GetMethod(nameof(IGrainInvoker.InvokeAsync))!;

    public MethodInfo Method { get; }
    /// <summary>Index of the CancellationToken parameter; −1 without one.</summary>
    public int TokenIndex { get; }
    /// <summary>All parameters, the token included: the length of an argument array.</summary>
    public int ParameterCount { get; }
    /// <summary>The parameters that travel (all but the token), and their types.</summary>
    public ParameterInfo[] Wire { get; }
    public Type[] WireTypes { get; }
    /// <summary>T of Task&lt;T&gt;; bool for a plain Task (Task&lt;bool&gt; is a Task, so callers never see the difference).</summary>
    public Type ResultType { get; }
    public bool ReturnsValue { get; }
    public bool Interleave { get; }
    public bool LongRunning { get; }
    public bool OneWay { get; }
    /// <summary><see cref="IGrainInvoker.InvokeAsync{TResult}"/> closed over <see cref="ResultType"/>.</summary>
    public MethodInfo Invoker { get; }
    private readonly PropertyInfo? _taskResult;

    private GrainMethod(MethodInfo method)
    {
        Method = method;
        var parameters = method.GetParameters();
        ParameterCount = parameters.Length;
        TokenIndex = Array.FindLastIndex(parameters, p => p.ParameterType == typeof(CancellationToken));
        Wire = parameters.Where(p => p.ParameterType != typeof(CancellationToken)).ToArray();
        WireTypes = Wire.Select(p => p.ParameterType).ToArray();
        ReturnsValue = method.ReturnType.IsGenericType;
        ResultType = ReturnsValue ? method.ReturnType.GetGenericArguments()[0] : typeof(bool);
        Interleave = method.GetCustomAttribute<AlwaysInterleaveAttribute>() is not null;
        LongRunning = method.GetCustomAttribute<LongRunningAttribute>() is not null;
        OneWay = method.GetCustomAttribute<OneWayAttribute>() is not null;
        // Nobody waits for a one-way call's answer, so between processes its caller would get default(T) for a result.
        if (OneWay && ReturnsValue)
            throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name}: a [OneWay] grain method must return a plain Task, not {method.ReturnType.Name}");
        Invoker = InvokeTyped.MakeGenericMethod(ResultType);
        _taskResult = ReturnsValue ? method.ReturnType.GetProperty(nameof(Task<int>.Result)) : null;
    }

    public static GrainMethod Of(MethodInfo method) => Cache.GetOrAdd(method, m => new GrainMethod(m));

    /// <summary>The caller's token among <paramref name="args"/> (none: <see cref="CancellationToken.None"/>).</summary>
    public CancellationToken TokenIn(object?[] args) => TokenIndex >= 0 && args[TokenIndex] is CancellationToken t ? t : CancellationToken.None;

    /// <summary>The values that travel, in order.</summary>
    public object?[] WireValues(object?[] args) => Wire.Select(p => args[p.Position]).ToArray();

    /// <summary>The result of a completed call's task (null for a plain Task).</summary>
    public object? ResultOf(Task task) => _taskResult?.GetValue(task);
}
