using TttCluster.Tensors.Native;

namespace TttCluster.Tensors;

/// <summary>The backend decision, made once per process.</summary>
/// <param name="Kind">Where Sgemm goes.</param>
/// <param name="Blas">The loaded library when <paramref name="Kind"/> is OpenBlas.</param>
/// <param name="Description">For logs, e.g. "OpenBLAS 0.3.21 (OPENBLAS_CORETYPE=SkylakeX, 2 threads)".</param>
/// <param name="Notice">The one stderr line to write when falling back to the managed kernel, else null.</param>
internal sealed record GemmBackendChoice(GemmBackendKind Kind, NativeBlas? Blas, string Description, string? Notice)
{
    /// <summary>Environment variable that forces a backend: "managed", or "openblas" (the default: OpenBLAS if it loads).</summary>
    public const string SettingVariable = "TTT_GEMM";

    /// <summary>
    /// Decides from the TTT_GEMM value and, unless that says managed, an attempt to load OpenBLAS. Pure apart
    /// from the loader, so tests can drive it with any setting.
    /// </summary>
    public static GemmBackendChoice Choose(string? setting, Func<NativeBlas?> loadOpenBlas, Func<string?> loadFailure)
    {
        string managed = $"managed {CpuFeatures.ManagedVectorWidth} GEMM";
        // Measured on a 2-core Sapphire Rapids: 2048³ managed 255-285 GFLOP/s vs OpenBLAS SkylakeX 300-318.
        string cost = CpuFeatures.ManagedVectorWidth == "Vector512"
            ? "about 15% slower on large matrix products"
            : "several times slower on large matrix products";
        string cores = $"{Environment.ProcessorCount} thread{(Environment.ProcessorCount == 1 ? "" : "s")}";
        string normalized = setting?.Trim().ToLowerInvariant() ?? "";
        string unknownSetting = normalized is "" or "managed" or "openblas" or "auto"
            ? ""
            : $" ({SettingVariable}='{setting}' is not 'managed' or 'openblas'; ignored)";

        if (normalized == "managed")
            return new GemmBackendChoice(GemmBackendKind.Managed, null, $"{managed} ({SettingVariable}=managed, {cores})",
                $"ttt: {SettingVariable}=managed; using the {managed} instead of OpenBLAS, {cost}.");

        NativeBlas? blas = loadOpenBlas();
        if (blas is not null)
        {
            string? unknownNotice = unknownSetting.Length == 0 ? null : $"ttt: using {blas.Description}{unknownSetting}";
            return new GemmBackendChoice(GemmBackendKind.OpenBlas, blas, blas.Description, unknownNotice);
        }

        string failure = loadFailure() ?? $"{NativeBlas.CandidateNames[0]} not found";
        return new GemmBackendChoice(GemmBackendKind.Managed, null, $"{managed} (OpenBLAS unavailable: {failure}, {cores})",
            $"ttt: OpenBLAS ({failure}); using the {managed}, {cost}. Install it: apt-get install libopenblas0-pthread{unknownSetting}");
    }
}
