using Azure.Data.Tables;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace TttCluster.Storage.Tests;

/// <summary>The notes of a story, as a farm grain keeps them.</summary>
[GenerateSerializer]
public sealed class FarmNotesState
{
    [Id(0)]
    public List<string> Notes { get; set; } = [];

    [Id(1)]
    public int Writes { get; set; }
}

public interface IFarmNotesGrain : IGrainWithStringKey
{
    Task<int> Add(string note);

    Task<FarmNotesState> Get();

    Task Clear();
}

/// <summary>Notes kept in the grain storage named "farm".</summary>
public sealed class FarmNotesGrain([PersistentState("state", "farm")] IPersistentState<FarmNotesState> notes) : Grain, IFarmNotesGrain
{
    public async Task<int> Add(string note)
    {
        notes.State.Notes.Add(note);
        notes.State.Writes++;
        await notes.WriteStateAsync();
        return notes.State.Writes;
    }

    public Task<FarmNotesState> Get() => Task.FromResult(notes.State);

    public Task Clear() => notes.ClearStateAsync();
}

/// <summary>
/// Orleans' own Azure Table grain storage, registered by <see cref="AzureFarmStorage.AddAzureFarmGrainStorage"/>, in a real
/// one-silo cluster over a real Azurite: what one cluster writes, the next cluster on the same account reads.
/// </summary>
public sealed class AzureGrainStorageTests(AzuriteFixture fixture) : IClassFixture<AzuriteFixture>
{
    // Orleans keys table rows by ServiceId and grain id: a restarted farm finds its state only under the same ServiceId.
    private const string ServiceId = "ttt-farm-tests";

    // Orleans' default table for grain state (AzureTableStorageOptions.DEFAULT_TABLE_NAME).
    private const string StateTable = "OrleansGrainState";

    private async Task<InProcessTestCluster> StartClusterAsync(string serviceId = ServiceId)
    {
        string connectionString = fixture.Azurite.ConnectionString;
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.ServiceId = serviceId;
        builder.ConfigureSilo((_, silo) => silo.AddAzureFarmGrainStorage("farm", connectionString));
        InProcessTestCluster cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    [Fact]
    public async Task StateSurvivesAClusterRestart()
    {
        await using (var cluster = await StartClusterAsync())
        {
            var grain = cluster.Client.GetGrain<IFarmNotesGrain>("story/1 é");
            Assert.Equal(1, await grain.Add("first frame"));
            Assert.Equal(2, await grain.Add("second frame"));
            Assert.Equal(1, await cluster.Client.GetGrain<IFarmNotesGrain>("story-2").Add("other"));
        }

        // In the emulator's table, not in the silo's memory: one row per grain.
        var table = new TableServiceClient(fixture.Azurite.ConnectionString).GetTableClient(StateTable);
        Assert.Equal(2, table.Query<TableEntity>().Count(RowOfThisService));

        await using (var cluster = await StartClusterAsync())
        {
            var grain = cluster.Client.GetGrain<IFarmNotesGrain>("story/1 é");
            FarmNotesState state = await grain.Get();
            Assert.Equal(["first frame", "second frame"], state.Notes);
            Assert.Equal(2, state.Writes);
            Assert.Equal(3, await grain.Add("third frame"));

            var other = cluster.Client.GetGrain<IFarmNotesGrain>("story-2");
            Assert.Equal(["other"], (await other.Get()).Notes);
            await other.Clear();
            Assert.Empty((await other.Get()).Notes);
        }

        await using (var cluster = await StartClusterAsync())
        {
            Assert.Equal(3, (await cluster.Client.GetGrain<IFarmNotesGrain>("story/1 é").Get()).Writes);
            Assert.Empty((await cluster.Client.GetGrain<IFarmNotesGrain>("story-2").Get()).Notes);
        }
    }

    [Fact]
    public async Task AnotherServiceIdStartsFromEmptyState()
    {
        await using (var cluster = await StartClusterAsync(ServiceId + "-a"))
        {
            Assert.Equal(1, await cluster.Client.GetGrain<IFarmNotesGrain>("shared-key").Add("written by service a"));
        }

        await using (var cluster = await StartClusterAsync(ServiceId + "-b"))
        {
            Assert.Empty((await cluster.Client.GetGrain<IFarmNotesGrain>("shared-key").Get()).Notes);
        }
    }

    private static bool RowOfThisService(TableEntity row) => row.PartitionKey.StartsWith(ServiceId + "_", StringComparison.Ordinal);
}
