using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Networking.Shared;

namespace TttCluster.Grains;

/// <summary>
/// The buffers of a silo's network pipes: large pinned blocks in place of Orleans' 4 KB slab blocks. With 4 KB blocks a
/// receiving silo reads its socket 4 KB at a time, so a 6.35 MB scan state took ~1,600 reads and arrived in ~36 ms where a
/// raw socket send of the same bytes takes ~2 ms (measured here). With 256 KB blocks the hand-off's median is a few ms.
/// </summary>
/// <remarks>
/// Orleans 10.4.2 has no public setting for this, so <see cref="InstallOn"/> sets two internal members by reflection: the
/// inbound connections' pool factory (<c>SocketConnectionOptions.MemoryPoolFactory</c>) and the pool outbound connections
/// share (<c>Orleans.Networking.Shared.SharedMemoryPool</c>). If a later Orleans renames them, the silo refuses to start
/// with an error that says which one (the version is pinned in Directory.Packages.props; the tests start silos).
/// </remarks>
public sealed class LargeBlockMemoryPool(int blockSize) : MemoryPool<byte>
{
    /// <summary>The block size the silos use: the largest read a pipe makes from its socket at once.</summary>
    public const int SiloBlockSize = 256 * 1024;

    /// <summary>Free blocks kept for reuse; blocks returned beyond this go to the garbage collector.</summary>
    public const int MaxFreeBlocks = 64;

    private readonly ConcurrentQueue<byte[]> _free = new();

    public override int MaxBufferSize => blockSize;

    /// <summary>How many blocks wait for reuse now (for tests).</summary>
    public int FreeBlocks => _free.Count;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > blockSize)
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"this pool's blocks are {blockSize} bytes");
        // Pinned: the socket reads and writes them without the GC moving them under it.
        byte[] block = _free.TryDequeue(out var reused) ? reused : GC.AllocateUninitializedArray<byte>(blockSize, pinned: true);
        return new Block(this, block);
    }

    protected override void Dispose(bool disposing) => _free.Clear();

    private void Return(byte[] block)
    {
        if (_free.Count < MaxFreeBlocks) _free.Enqueue(block);
    }

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            // Once only, whoever disposes twice.
            if (Interlocked.Exchange(ref _array, null) is { } block) pool.Return(block);
        }
    }

    /// <summary>Makes the silo's inbound and outbound connections use pools of <see cref="SiloBlockSize"/> blocks.</summary>
    public static void InstallOn(ISiloBuilder silo)
    {
        const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic;
        var inboundFactory = typeof(SocketConnectionOptions).GetProperty("MemoryPoolFactory", Internal)
            ?? throw new InvalidOperationException("Orleans' SocketConnectionOptions.MemoryPoolFactory is gone: the silo's network pool cannot be set (see LargeBlockMemoryPool)");
        var sharedPoolType = typeof(SocketConnectionOptions).Assembly.GetType("Orleans.Networking.Shared.SharedMemoryPool")
            ?? throw new InvalidOperationException("Orleans' SharedMemoryPool type is gone: the silo's network pool cannot be set (see LargeBlockMemoryPool)");
        var sharedPoolField = sharedPoolType.GetField("<Pool>k__BackingField", Internal)
            ?? throw new InvalidOperationException("Orleans' SharedMemoryPool.Pool is gone: the silo's network pool cannot be set (see LargeBlockMemoryPool)");

        // Each inbound connection gets a pool from the factory; the outbound ones share the one SharedMemoryPool singleton.
        silo.Configure<SocketConnectionOptions>(o => inboundFactory.SetValue(o, (Func<MemoryPool<byte>>)(() => new LargeBlockMemoryPool(SiloBlockSize))));
        silo.Services.AddSingleton(sharedPoolType, _ =>
        {
            object shared = Activator.CreateInstance(sharedPoolType, nonPublic: true)
                ?? throw new InvalidOperationException("Orleans' SharedMemoryPool could not be created");
            sharedPoolField.SetValue(shared, new LargeBlockMemoryPool(SiloBlockSize));
            return shared;
        });
    }
}
