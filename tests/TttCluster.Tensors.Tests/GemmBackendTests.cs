using System.Runtime.Intrinsics.X86;
using TttCluster.Tensors.Native;

namespace TttCluster.Tensors.Tests;

public class GemmBackendTests
{
    [Fact]
    public void ChooseBackend_ManagedSettingForcesManagedWithoutLoadingOpenBlas()
    {
        GemmBackendChoice choice = GemmBackendChoice.Choose("managed",
            () => throw new InvalidOperationException("OpenBLAS must not be loaded when TTT_GEMM=managed"), () => null);
        Assert.Equal(GemmBackendKind.Managed, choice.Kind);
        Assert.Null(choice.Blas);
        Assert.Contains("TTT_GEMM=managed", choice.Notice);
        Assert.DoesNotContain('\n', choice.Notice!);
    }

    [Fact]
    public void ChooseBackend_MissingOpenBlasFallsBackWithOneLineSayingWhatItCosts()
    {
        GemmBackendChoice choice = GemmBackendChoice.Choose(null, () => null, () => "libopenblas.so.0 not found");
        Assert.Equal(GemmBackendKind.Managed, choice.Kind);
        Assert.StartsWith("ttt: OpenBLAS (libopenblas.so.0 not found); using the managed", choice.Notice);
        Assert.Contains("slower", choice.Notice);
        Assert.Contains("apt-get install libopenblas0-pthread", choice.Notice);
        Assert.DoesNotContain('\n', choice.Notice!);
    }

    [OpenBlasFact]
    public void ChooseBackend_DefaultUsesOpenBlasQuietly()
    {
        GemmBackendChoice choice = GemmBackendChoice.Choose(null, () => NativeBlas.Instance, () => null);
        Assert.Equal(GemmBackendKind.OpenBlas, choice.Kind);
        Assert.Null(choice.Notice);
        Assert.StartsWith("OpenBLAS", choice.Description);
    }

    [Fact]
    public void ChooseBackend_UnknownSettingIsNamedInTheNotice()
    {
        GemmBackendChoice choice = GemmBackendChoice.Choose("cuda", () => null, () => "libopenblas.so.0 not found");
        Assert.Equal(GemmBackendKind.Managed, choice.Kind);
        Assert.Contains("TTT_GEMM='cuda'", choice.Notice);
    }

    [Fact]
    public void Backend_FollowsTheEnvironmentOfThisProcess()
    {
        bool forcedManaged = string.Equals(Environment.GetEnvironmentVariable("TTT_GEMM")?.Trim(), "managed", StringComparison.OrdinalIgnoreCase);
        GemmBackendKind expected = !forcedManaged && NativeBlas.Instance is not null ? GemmBackendKind.OpenBlas : GemmBackendKind.Managed;
        Assert.Equal(expected, Gemm.Backend);
        Assert.False(string.IsNullOrWhiteSpace(Gemm.BackendDescription));
    }

    /// <summary>The point of choosing the core type ourselves: OpenBLAS must run its AVX-512 kernels, not misdetect "Prescott".</summary>
    [OpenBlasFact]
    public void NativeBlas_RunsTheKernelsMatchingTheCpu()
    {
        NativeBlas blas = NativeBlas.Instance!;
        string? expected = LibC.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? CpuFeatures.OpenBlasCoreType;
        if (string.IsNullOrEmpty(expected))
            return; // Neither AVX2 nor AVX-512 (or not x86), or the user cleared it: OpenBLAS's own detection is all there is.
        Assert.True(string.Equals(expected, blas.CoreName, StringComparison.OrdinalIgnoreCase),
            $"OpenBLAS runs core '{blas.CoreName}' but OPENBLAS_CORETYPE is '{expected}' (Avx512F={Avx512F.IsSupported}, Avx2={Avx2.IsSupported}); config: {blas.Config}");
        Assert.Contains(expected, blas.Description, StringComparison.OrdinalIgnoreCase);
    }
}
