using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;

namespace TttCluster.Storage;

/// <summary>Registers <see cref="FolderGrainStorage"/> in a silo.</summary>
public static class FolderGrainStorageExtensions
{
    /// <summary>
    /// Adds a <see cref="FolderGrainStorage"/> over <paramref name="folder"/> as the grain storage named
    /// <paramref name="name"/>, the name grains give in <c>[PersistentState("state", name)]</c>.
    /// </summary>
    public static ISiloBuilder AddFolderGrainStorage(this ISiloBuilder silo, string name, string folder)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);

        // Resolved now: a relative folder means relative to the working directory at configuration time, not whenever
        // the first grain happens to activate.
        string fullFolder = Path.GetFullPath(folder);

        // Orleans' own helper: a keyed IGrainStorage singleton under the name (what [PersistentState] looks up), plus the
        // unkeyed IGrainStorage when the name is the default provider's.
        silo.Services.AddGrainStorage(
            name, (services, _) => new FolderGrainStorage(fullFolder, services.GetRequiredService<IActivatorProvider>()));
        return silo;
    }

    /// <summary>
    /// Adds a <see cref="FolderGrainStorage"/> over <paramref name="folder"/> as the default grain storage, used by
    /// <c>[PersistentState("state")]</c> without a storage name.
    /// </summary>
    public static ISiloBuilder AddFolderGrainStorageAsDefault(this ISiloBuilder silo, string folder) =>
        silo.AddFolderGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, folder);
}
