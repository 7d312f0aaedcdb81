using Orleans.TestingHost;

namespace TttCluster.Storage.Tests;

/// <summary>The storage inside a real silo: state written by one cluster is read by the next one on the same folder.</summary>
public sealed class FolderGrainStorageSiloTests : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static async Task<InProcessTestCluster> StartClusterAsync(Action<Orleans.Hosting.ISiloBuilder> configureSilo)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => configureSilo(silo));
        InProcessTestCluster cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    [Fact]
    public async Task StateSurvivesAClusterRestart()
    {
        await using (var cluster = await StartClusterAsync(silo => silo.AddFolderGrainStorage("stories", folder.Path)))
        {
            var grain = cluster.Client.GetGrain<ICounterGrain>("story/1 é");
            Assert.Equal(1, await grain.Increment());
            Assert.Equal(2, await grain.Increment());
            Assert.Equal(3, await grain.Increment());
            Assert.Equal(1, await cluster.Client.GetGrain<ICounterGrain>("story-2").Increment());
        }

        Assert.Equal(2, folder.Files().Count(file => file.EndsWith(".json", StringComparison.Ordinal)));

        await using (var cluster = await StartClusterAsync(silo => silo.AddFolderGrainStorage("stories", folder.Path)))
        {
            var grain = cluster.Client.GetGrain<ICounterGrain>("story/1 é");
            Assert.Equal(3, await grain.Get());
            Assert.Equal(4, await grain.Increment());
            Assert.Equal(1, await cluster.Client.GetGrain<ICounterGrain>("story-2").Get());

            await cluster.Client.GetGrain<ICounterGrain>("story-2").Clear();
            Assert.Equal(0, await cluster.Client.GetGrain<ICounterGrain>("story-2").Get());
        }

        Assert.Single(folder.Files(), file => file.EndsWith(".json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DefaultStorageIsUsedWithoutAStorageName()
    {
        await using (var cluster = await StartClusterAsync(silo => silo.AddFolderGrainStorageAsDefault(folder.Path)))
        {
            Assert.Equal(1, await cluster.Client.GetGrain<IDefaultStorageCounterGrain>(42).Increment());
            Assert.Equal(2, await cluster.Client.GetGrain<IDefaultStorageCounterGrain>(42).Increment());
        }

        await using (var cluster = await StartClusterAsync(silo => silo.AddFolderGrainStorageAsDefault(folder.Path)))
        {
            Assert.Equal(3, await cluster.Client.GetGrain<IDefaultStorageCounterGrain>(42).Increment());
        }
    }
}
