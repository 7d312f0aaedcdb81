using Microsoft.Extensions.Hosting;

namespace TttCluster.Gateway;

internal static class HostStart
{
    /// <summary>
    /// Completes once the host has started everything (the silo has joined; background services start before that),
    /// or throws when <paramref name="stopping"/> fires first.
    /// </summary>
    public static async Task WhenStartedAsync(this IHostApplicationLifetime lifetime, CancellationToken stopping)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stopping.Register(() => started.TrySetCanceled(stopping)))
            await started.Task;
    }
}
