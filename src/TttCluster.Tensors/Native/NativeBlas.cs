using System.Runtime.InteropServices;

namespace TttCluster.Tensors.Native;

/// <summary>
/// OpenBLAS, loaded at run time and bound by function pointer. Every call into the library goes through this
/// class, which checks the arguments against the CBLAS rules first: OpenBLAS reports a bad argument by printing
/// a line from its xerbla and returning without touching C, which would pass silently as a wrong result.
/// </summary>
internal sealed unsafe class NativeBlas
{
    private const int CblasRowMajor = 101;
    private const int CblasNoTrans = 111;
    private const int CblasTrans = 112;
    private const string CoreTypeVariable = "OPENBLAS_CORETYPE";

    /// <summary>Library names to try, most specific first (the Debian runtime package ships only the .so.0).</summary>
    internal static readonly string[] CandidateNames = OperatingSystem.IsWindows()
        ? ["libopenblas.dll", "openblas.dll"]
        : OperatingSystem.IsMacOS()
            ? ["libopenblas.0.dylib", "libopenblas.dylib"]
            : ["libopenblas.so.0", "libopenblas.so"];

    private static readonly Lazy<NativeBlas?> Loaded = new(() => TryLoad(out _), LazyThreadSafetyMode.ExecutionAndPublication);
    private static string? loadFailure;

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;

    private NativeBlas(string libraryName, nint sgemm, string? coreTypeSetting, string? config, string? coreName, int threads)
    {
        LibraryName = libraryName;
        this.sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
        CoreTypeSetting = coreTypeSetting;
        Config = config;
        CoreName = coreName;
        Threads = threads;
    }

    /// <summary>OpenBLAS, loaded on first use (once per process); null when no library could be loaded.</summary>
    public static NativeBlas? Instance => Loaded.Value;

    /// <summary>Why <see cref="Instance"/> is null, for log lines; null when it loaded.</summary>
    public static string? LoadFailure => Loaded.Value is null ? loadFailure : null;

    /// <summary>The file name that loaded, e.g. "libopenblas.so.0".</summary>
    public string LibraryName { get; }

    /// <summary>OPENBLAS_CORETYPE as the library saw it when it loaded (ours or the user's), or null when unset.</summary>
    public string? CoreTypeSetting { get; }

    /// <summary>openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".</summary>
    public string? Config { get; }

    /// <summary>openblas_get_corename(): the kernel family in use, e.g. "SkylakeX" (or "Prescott" when misdetected).</summary>
    public string? CoreName { get; }

    /// <summary>openblas_get_num_threads(): how many threads one call may use.</summary>
    public int Threads { get; }

    /// <summary>"OpenBLAS 0.3.21 (OPENBLAS_CORETYPE=SkylakeX, 2 threads)".</summary>
    public string Description
    {
        get
        {
            string version = Config?.Split(' ', 3) is [var name, var number, ..] ? $"{name} {number}" : "OpenBLAS";
            string core = CoreTypeSetting is null
                ? $"core {CoreName ?? "unknown"} detected by OpenBLAS"
                : CoreName is null || string.Equals(CoreName, CoreTypeSetting, StringComparison.OrdinalIgnoreCase)
                    ? $"{CoreTypeVariable}={CoreTypeSetting}"
                    // Loaded by someone else before the variable was set, or an unknown name: say what really runs.
                    : $"core {CoreName}, {CoreTypeVariable}={CoreTypeSetting} not honoured";
            return $"{version} ({core}, {Threads} thread{(Threads == 1 ? "" : "s")})";
        }
    }

    /// <summary>
    /// Chooses OPENBLAS_CORETYPE from the CPU's real features, sets it in the native environment (unless the user
    /// set it), then loads the library. Must run before anything else in the process loads OpenBLAS, because the
    /// library reads the variable only once, while it initialises.
    /// </summary>
    internal static NativeBlas? TryLoad(out string? failure)
    {
        string? coreType = CpuFeatures.OpenBlasCoreType;
        string? coreTypeSetting = coreType is null
            ? LibC.GetEnvironmentVariable(CoreTypeVariable)
            : LibC.SetEnvironmentVariableIfUnset(CoreTypeVariable, coreType);
        if (string.IsNullOrEmpty(coreTypeSetting))
            coreTypeSetting = null; // set but empty: OpenBLAS detects the core itself

        foreach (string name in CandidateNames)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle))
                continue;
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm))
            {
                failure = loadFailure = $"{name} loaded but has no cblas_sgemm export";
                return null;
            }
            string? config = CallStringExport(handle, "openblas_get_config");
            string? coreName = CallStringExport(handle, "openblas_get_corename");
            int threads = NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out nint getThreads)
                ? ((delegate* unmanaged<int>)getThreads)()
                : 1;
            failure = null;
            return new NativeBlas(name, sgemm, coreTypeSetting, config, coreName, threads);
        }
        failure = loadFailure = $"{CandidateNames[0]} not found";
        return null;
    }

    private static string? CallStringExport(nint handle, string export) =>
        NativeLibrary.TryGetExport(handle, export, out nint function)
            ? Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)function)())
            : null;

    /// <summary>
    /// cblas_sgemm in row-major order: C[m,n] = alpha·op(A)·op(B) + beta·C. The caller has checked that the
    /// buffers are long enough; this checks the dimension and stride rules that OpenBLAS would otherwise reject
    /// with nothing but a line on stdout.
    /// </summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"cblas_sgemm: negative dimension (m={m}, n={n}, k={k})");
        CheckStride(lda, transA ? m : k, "lda");
        CheckStride(ldb, transB ? k : n, "ldb");
        CheckStride(ldc, n, "ldc");
        sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static void CheckStride(int stride, int width, string name)
    {
        if (stride < Math.Max(1, width))
            throw new ArgumentOutOfRangeException(name, $"cblas_sgemm: {name}={stride} is less than the row width {width} (row-major needs {name} >= max(1, width))");
    }
}
