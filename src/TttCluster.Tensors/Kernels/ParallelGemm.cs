namespace TttCluster.Tensors.Kernels;

/// <summary>
/// The managed GEMM on all cores: C is cut into blocks of whole rows (or, for short wide products, whole
/// columns) and each block runs the single-threaded kernel. K is never split, and each element's arithmetic
/// does not depend on which rows and columns share its call, so the result is bit-identical to one
/// single-threaded call whatever the core count or schedule.
/// </summary>
internal static unsafe class ParallelGemm
{
    /// <summary>Below about this many multiply-adds, waking a second core costs more than it saves.</summary>
    private const long MinParallelWork = 1L << 20;

    /// <summary>Smallest block of rows or columns a worker takes, so every worker still runs whole register tiles.</summary>
    private const int MinBlock = 64;

    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha, float* a, nint lda, float* b, nint ldb,
                           float beta, float* c, nint ldc, int maxDegree = -1)
    {
        int workers = maxDegree > 0 ? maxDegree : Environment.ProcessorCount;
        long work = (long)m * n * k;
        if (workers <= 1 || work < MinParallelWork || (m < 2 * MinBlock && n < 2 * MinBlock))
        {
            ManagedGemm.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        bool splitRows = m >= 2 * MinBlock || m >= n;
        int extent = splitRows ? m : n;
        // One block per worker: each block packs its own copy of the shared operand, so more blocks cost more
        // packing (measured: 4 per worker was 10-15% slower at n = 512..2048 on 2 cores). Multiples of MinBlock.
        int blocks = Math.Min(extent / MinBlock, workers);
        int blockSize = RoundUp((extent + blocks - 1) / blocks, MinBlock);
        blocks = (extent + blockSize - 1) / blockSize;

        nint aAddress = (nint)a, bAddress = (nint)b, cAddress = (nint)c;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = workers }, block =>
        {
            int start = block * blockSize;
            int size = Math.Min(blockSize, extent - start);
            float* aStart = (float*)aAddress, bStart = (float*)bAddress, cStart = (float*)cAddress;
            if (splitRows)
                ManagedGemm.Run(transA, transB, size, n, k, alpha, transA ? aStart + start : aStart + start * lda, lda,
                                bStart, ldb, beta, cStart + start * ldc, ldc);
            else
                ManagedGemm.Run(transA, transB, m, size, k, alpha, aStart, lda,
                                transB ? bStart + start * ldb : bStart + start, ldb, beta, cStart + start, ldc);
        });
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
