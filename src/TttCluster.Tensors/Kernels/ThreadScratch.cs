namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Per-thread work buffers, so the kernels allocate nothing per call (the TTT scan calls them millions of
/// times). Backed by a pinned array that grows to the largest request and is then reused; regions start on
/// 64-byte boundaries so packed panels line up with zmm loads. GEMM and attention each have their own, because
/// an attention tile holds its buffers across the GEMM calls it makes.
/// </summary>
internal sealed unsafe class ThreadScratch
{
    private const int AlignmentFloats = 16;

    [ThreadStatic] private static ThreadScratch? gemm;
    [ThreadStatic] private static ThreadScratch? attention;

    private float[] storage = [];
    private float* aligned;
    private int capacity;

    /// <summary>This thread's packing buffers for the managed GEMM (held only for the duration of one GEMM call).</summary>
    public static ThreadScratch ForGemm => gemm ??= new ThreadScratch();

    /// <summary>This thread's buffers for one attention tile (held across the GEMM calls the tile makes).</summary>
    public static ThreadScratch ForAttention => attention ??= new ThreadScratch();

    /// <summary>
    /// Four regions of at least the given sizes (floats), valid until the next call on this thread. Contents are
    /// undefined.
    /// </summary>
    public void Reserve(int sizeA, int sizeB, int sizeC, int sizeD, out float* regionA, out float* regionB, out float* regionC, out float* regionD)
    {
        int a = RoundUp(sizeA), b = RoundUp(sizeB), c = RoundUp(sizeC), d = RoundUp(sizeD);
        EnsureCapacity(a + b + c + d);
        regionA = aligned;
        regionB = regionA + a;
        regionC = regionB + b;
        regionD = regionC + c;
    }

    private void EnsureCapacity(int floats)
    {
        if (floats <= capacity)
            return;
        int grown = Math.Max(floats, capacity + capacity / 2);
        // Pinned on the pinned-object heap: the pointer stays valid for the life of the array.
        storage = GC.AllocateUninitializedArray<float>(grown + AlignmentFloats, pinned: true);
        fixed (float* start = storage)
        {
            nint misalignment = (nint)start & (AlignmentFloats * sizeof(float) - 1);
            aligned = misalignment == 0 ? start : (float*)((byte*)start + (AlignmentFloats * sizeof(float) - misalignment));
        }
        capacity = grown;
    }

    private static int RoundUp(int floats) => (floats + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
}
