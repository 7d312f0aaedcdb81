using System.Runtime.ExceptionServices;

namespace TttCluster.Grains;

/// <summary>Runs work items at once where one failing must stop the rest.</summary>
internal static class FanOut
{
    /// <summary>
    /// Runs every item at once and waits for all. The first failure cancels the others, which may be waiting for inputs the
    /// failed one would have pushed (a neighbour on a dead silo), and is then rethrown as it was.
    /// </summary>
    public static async Task<T[]> AllAsync<T>(IEnumerable<Func<CancellationToken, Task<T>>> work, CancellationToken cancel)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        ExceptionDispatchInfo? first = null;
        var tasks = work.Select(async item =>
        {
            try { return await item(stop.Token); }
            catch (Exception e)
            {
                if (!(e is OperationCanceledException && stop.IsCancellationRequested)) Interlocked.CompareExchange(ref first, ExceptionDispatchInfo.Capture(e), null);
                stop.Cancel();
                throw;
            }
        }).ToArray();
        try { return await Task.WhenAll(tasks); }
        catch when (first is not null) { first.Throw(); throw; }
    }

    /// <summary>The same for work that returns nothing.</summary>
    public static Task AllAsync(IEnumerable<Func<CancellationToken, Task>> work, CancellationToken cancel) =>
        AllAsync(work.Select<Func<CancellationToken, Task>, Func<CancellationToken, Task<bool>>>(item => async token => { await item(token); return true; }), cancel);
}
