using TttCluster.Model.Parameters;
using TttCluster.Model.Weights;
using TttCluster.Tensors;

namespace TttCluster.Model.Tests.Golden;

/// <summary>Access to tests/golden (written by tools/reference/make_golden.py) and the comparison every golden test uses.</summary>
public static class GoldenFiles
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "golden", name);

    public static SafetensorsFile Open(string name) => SafetensorsFile.Open(PathOf(name));

    private static readonly Lazy<ModelParameters> s_tinyWeights = new(() => ModelFile.Load(PathOf("tiny_weights.safetensors")));

    /// <summary>The reference's random Tiny weights (tttBaseLr raised so the inner updates matter).</summary>
    public static ModelParameters TinyWeights => s_tinyWeights.Value;

    /// <summary>max|a − b| / max(max|b|, 1e-30), the reference's definition (tools/reference/README.md).</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"length {actual.Length} vs expected {expected.Length}");
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
            if (float.IsNaN(actual[i])) return double.PositiveInfinity;
        }
        return maxDiff / Math.Max(maxRef, 1e-30);
    }

    /// <summary>Asserts relative error ≤ tolerance, and prints it either way so a run shows how close we are.</summary>
    public static void AssertClose(string what, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, ITestOutputHelper? output = null)
    {
        double err = RelativeError(actual, expected);
        output?.WriteLine($"{what}: relative maxdiff {err:E2} (tolerance {tolerance:E0})");
        Assert.True(err <= tolerance, $"{what}: relative maxdiff {err:E3} exceeds {tolerance:E0}");
    }

}
