namespace TttCluster.Tensors.Tests;

public class ActivationsTests
{
    private static double GeluTanh(double u) => 0.5 * u * (1 + Math.Tanh(0.7978845608 * (u + 0.044715 * u * u * u)));

    /// <summary>The tanh form, not the erf form: at u = 1 the two differ by 1.6e-4, far above the tolerance here.</summary>
    [Fact]
    public void Gelu_IsTheTanhFormAndItsDerivative()
    {
        float[] x = Enumerable.Range(0, 1003).Select(i => -20f + 40f * i / 1002f).Append(0f).Append(1f).Append(-1e-7f).ToArray();
        var y = new float[x.Length];
        var dy = new float[x.Length];
        Activations.GeluWithDerivative(x, y, dy);
        for (int i = 0; i < x.Length; i++)
        {
            double u = x[i], h = 1e-4;
            double expected = GeluTanh(u), derivative = (GeluTanh(u + h) - GeluTanh(u - h)) / (2 * h);
            Assert.True(Math.Abs(y[i] - expected) <= 2e-6 * Math.Max(1, Math.Abs(expected)), $"gelu({u}) = {y[i]}, expected {expected}");
            Assert.True(Math.Abs(dy[i] - derivative) <= 1e-5, $"gelu'({u}) = {dy[i]}, expected {derivative}");
        }
        Assert.Equal(0.8411920f, y[^2], 5e-6f);   // tanh form; the erf form gives 0.8413447
    }

    [Fact]
    public void Gelu_ResultDoesNotDependOnPositionInTheSpan()
    {
        float[] x = Enumerable.Range(0, 37).Select(i => (i - 18) * 0.37f).ToArray();
        var whole = new float[37];
        Activations.Gelu(x, whole);
        for (int start = 0; start < 37; start += 5)
        {
            var part = new float[37 - start];
            Activations.Gelu(x.AsSpan(start), part);
            for (int i = 0; i < part.Length; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(whole[start + i]), BitConverter.SingleToInt32Bits(part[i]));
        }
    }
}
