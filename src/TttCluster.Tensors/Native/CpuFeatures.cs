using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TttCluster.Tensors.Native;

/// <summary>
/// What this CPU really supports, as the .NET JIT sees it. Used to pick OpenBLAS's kernel family ourselves: inside
/// some virtual machines OpenBLAS's own CPUID detection falls back to "Prescott" (SSE3) and runs sgemm about
/// seven times slower than the AVX-512 kernels the hardware can execute.
/// </summary>
internal static class CpuFeatures
{
    /// <summary>
    /// The OPENBLAS_CORETYPE that matches this CPU ("SkylakeX" for AVX-512, "Haswell" for AVX2 + FMA), or null to
    /// leave OpenBLAS's own detection alone (other architectures, or older x86).
    /// </summary>
    public static string? OpenBlasCoreType
    {
        get
        {
            // OpenBLAS's SkylakeX kernels use the F, BW, DQ and VL subsets together.
            if (Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported)
                return "SkylakeX";
            if (Avx2.IsSupported && Fma.IsSupported)
                return "Haswell";
            return null;
        }
    }

    /// <summary>The widest SIMD register the managed kernels will use, for log lines: "Vector512" ... "Vector128", or "scalar".</summary>
    public static string ManagedVectorWidth =>
        Vector512.IsHardwareAccelerated ? "Vector512"
        : Vector256.IsHardwareAccelerated ? "Vector256"
        : Vector128.IsHardwareAccelerated ? "Vector128"
        : "scalar";
}
