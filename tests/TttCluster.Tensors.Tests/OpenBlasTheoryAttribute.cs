using TttCluster.Tensors.Native;

namespace TttCluster.Tensors.Tests;

/// <summary>A theory that runs only where OpenBLAS loads; elsewhere it is reported as skipped, with the reason.</summary>
public sealed class OpenBlasTheoryAttribute : TheoryAttribute
{
    public OpenBlasTheoryAttribute()
    {
        if (NativeBlas.Instance is null)
            Skip = $"OpenBLAS is not installed here ({NativeBlas.LoadFailure}); apt-get install libopenblas0-pthread to run this test";
    }
}
