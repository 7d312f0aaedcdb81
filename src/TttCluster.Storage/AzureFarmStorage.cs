using Azure.Data.Tables;
using Orleans.Hosting;

namespace TttCluster.Storage;

/// <summary>Registers Orleans' own Azure Table grain storage for the farm's grains.</summary>
public static class AzureFarmStorage
{
    /// <summary>
    /// Adds Orleans' Azure Table grain storage as the grain storage named <paramref name="name"/> (the name grains give in
    /// <c>[PersistentState("state", name)]</c>), keeping grain state in the table account of
    /// <paramref name="connectionString"/> (Azurite's or a real account's). The table is created at silo start when
    /// missing. The state is keyed by the cluster's ServiceId and the grain id, so a restarted cluster with the same
    /// ServiceId finds it again.
    /// </summary>
    public static ISiloBuilder AddAzureFarmGrainStorage(this ISiloBuilder silo, string name, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // The client is built now, so a malformed connection string fails at configuration time, where the mistake is,
        // rather than at the first grain activation.
        var tables = new TableServiceClient(connectionString);
        return silo.AddAzureTableGrainStorage(name, options => options.TableServiceClient = tables);
    }
}
