using System.Reflection;
using System.Runtime.ExceptionServices;
using TttCluster.Abstractions;

namespace TttCluster.Runtime;

/// <summary>
/// Runs one call on a local activation: waits for the grain's turn (unless [AlwaysInterleave]) and replaces the
/// call's CancellationToken with one that also fires at the deadline, so a stuck call fails with a clear error.
/// </summary>
internal static class ActivationCall
{
    public static async Task<TResult> RunAsync<TResult>(Silo silo, Silo.Activation activation, string key, string call, MethodInfo method,
        object?[] args, TimeSpan deadlineAfter)
    {
        // Grain calls are always dispatched asynchronously, as in Orleans: a caller that fans out to many grains gets them
        // running in parallel even when their methods complete synchronously.
        await Task.Yield();
        var shape = GrainMethod.Of(method);
        bool interleave = shape.Interleave, longRunning = shape.LongRunning;
        var callerToken = shape.TokenIn(args);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        if (!longRunning) deadline.CancelAfter(deadlineAfter);
        if (shape.TokenIndex >= 0) args[shape.TokenIndex] = deadline.Token;

        try
        {
            if (!interleave) await activation.Turn.WaitAsync(deadline.Token).ConfigureAwait(false);
            bool exclusive = !interleave && !longRunning && silo.OneCallAtATime;
            if (exclusive)
            {
                try { await silo.Exclusive.WaitAsync(deadline.Token).ConfigureAwait(false); }
                catch { activation.Turn.Release(); throw; }
            }
            try
            {
                if (!silo.IsAlive) throw new GrainCallException($"{call}: silo {silo.Id} is dead");
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    object? returned = method.Invoke(activation.Grain, args);
                    if (returned is Task<TResult> typed) return await typed.ConfigureAwait(false);
                    await ((Task)returned!).ConfigureAwait(false);
                    return default!;
                }
                finally
                {
                    if (!interleave) silo.RecordCall(key, method.Name, started, System.Diagnostics.Stopwatch.GetTimestamp());
                }
            }
            finally
            {
                if (exclusive) silo.Exclusive.Release();
                if (!interleave) activation.Turn.Release();
            }
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new GrainCallException($"{call} (silo {silo.Id}) missed its deadline of {deadlineAfter}", e);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
