using System.Buffers;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Networking.Shared;
using static TttCluster.Grains.Tests.ClusterTestKit;

namespace TttCluster.Grains.Tests;

/// <summary>The silos' network buffers: large blocks, reused, and really the ones Orleans' connections use.</summary>
public class LargeBlockMemoryPoolTests
{
    [Fact]
    public void Rent_GivesAWholeBlockAndReusesReturnedOnes()
    {
        using var pool = new LargeBlockMemoryPool(1024);
        var first = pool.Rent(10);
        Assert.Equal(1024, first.Memory.Length);
        first.Memory.Span[0] = 42;
        first.Dispose();
        first.Dispose();                                   // a second dispose returns nothing twice
        Assert.Equal(1, pool.FreeBlocks);
        using var second = pool.Rent();
        Assert.Equal(42, second.Memory.Span[0]);           // the same block again
        Assert.Equal(0, pool.FreeBlocks);
        Assert.Throws<ObjectDisposedException>(() => first.Memory);
    }

    [Fact]
    public void Rent_MoreThanABlock_IsRefusedWithTheBlockSize()
    {
        using var pool = new LargeBlockMemoryPool(1024);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(1025));
        Assert.Contains("1024 bytes", e.Message);
    }

    [Fact]
    public void FreeBlocks_AreCapped()
    {
        using var pool = new LargeBlockMemoryPool(16);
        var blocks = Enumerable.Range(0, LargeBlockMemoryPool.MaxFreeBlocks + 5).Select(_ => pool.Rent()).ToList();
        blocks.ForEach(b => b.Dispose());
        Assert.Equal(LargeBlockMemoryPool.MaxFreeBlocks, pool.FreeBlocks);
    }

    /// <summary>A silo configured as every farm silo is reads and writes its connections through the large blocks.</summary>
    [Fact]
    public async Task ASilosConnections_UseTheLargeBlocks()
    {
        var cluster = await StartSilos(1);
        try
        {
            var services = cluster.Silos[0].ServiceProvider;
            const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic;
            var options = services.GetRequiredService<IOptions<SocketConnectionOptions>>().Value;
            var factory = (Func<MemoryPool<byte>>)typeof(SocketConnectionOptions).GetProperty("MemoryPoolFactory", Internal)!.GetValue(options)!;
            using (var inbound = factory()) Assert.Equal(LargeBlockMemoryPool.SiloBlockSize, Assert.IsType<LargeBlockMemoryPool>(inbound).MaxBufferSize);

            var sharedType = typeof(SocketConnectionOptions).Assembly.GetType("Orleans.Networking.Shared.SharedMemoryPool")!;
            object shared = services.GetRequiredService(sharedType);
            var outbound = sharedType.GetField("<Pool>k__BackingField", Internal)!.GetValue(shared);
            Assert.IsType<LargeBlockMemoryPool>(outbound);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
