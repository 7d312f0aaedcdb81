using TttCluster.Model.Ttt;

namespace TttCluster.Model.Tests.Ttt;

/// <summary>
/// The closed-form inner gradient of TttMiniBatch against central finite differences of Σ_j η_j ℓ_j, computed here
/// independently in double precision. The step does W ← W − ∇, so ∇ = W_before − W_after.
/// </summary>
public class InnerGradientTests(ITestOutputHelper output)
{
    private const int D = 16, Hid = 64;
    private const double Eps = 1e-6;

    [Theory]
    [InlineData(16)]
    [InlineData(5)]    // a partial mini-batch
    public void ClosedFormGradient_MatchesFiniteDifferences(int m)
    {
        var rng = new GaussianRandom((ulong)m);
        float[] w1 = Rand(rng, D * Hid, 0.3f), b1 = Rand(rng, Hid, 0.1f), w2 = Rand(rng, Hid * D, 0.3f), b2 = Rand(rng, D, 0.1f);
        float[] k = Rand(rng, m * D, 1f), q = Rand(rng, m * D, 1f), tg = Rand(rng, m * D, 1f);
        float[] gamma = Rand(rng, D, 0.1f).Select(x => 1 + x).ToArray(), beta = Rand(rng, D, 0.1f);
        float[] eta = Enumerable.Range(0, m).Select(j => 0.01f + 0.002f * j).ToArray();

        float[] w1After = (float[])w1.Clone(), b1After = (float[])b1.Clone(), w2After = (float[])w2.Clone(), b2After = (float[])b2.Clone();
        new TttMiniBatch(D, 16, (float)Eps).Step(w1After, b1After, w2After, b2After, k, q, tg, eta, m, gamma, beta, new float[m * D]);

        var parameters = new[] { ("W1", w1, w1After), ("b1", b1, b1After), ("W2", w2, w2After), ("b2", b2, b2After) };
        foreach (var (name, before, after) in parameters)
        {
            double worst = 0, scale = 0;
            // Every element of the biases, a strided sample of the matrices.
            for (int i = 0; i < before.Length; i += before.Length > 100 ? 37 : 1)
            {
                double closedForm = (double)before[i] - after[i];
                double h = 1e-4;
                double numeric = (Loss(parameters, name, i, +h) - Loss(parameters, name, i, -h)) / (2 * h);
                worst = Math.Max(worst, Math.Abs(closedForm - numeric));
                scale = Math.Max(scale, Math.Abs(numeric));
            }
            output.WriteLine($"{name} (m={m}): max |closed form − finite difference| = {worst:E2}, max |gradient| = {scale:E2}");
            Assert.True(worst <= 2e-3 * scale + 1e-9, $"{name}: closed-form gradient differs from finite differences by {worst:E3} (gradient scale {scale:E3})");
        }

        double Loss((string, float[], float[])[] ps, string perturbName, int index, double delta)
        {
            double[] P(string n) => ps.First(x => x.Item1 == n).Item2.Select(v => (double)v).ToArray();
            double[] W1 = P("W1"), B1 = P("b1"), W2 = P("W2"), B2 = P("b2");
            var target = perturbName switch { "W1" => W1, "b1" => B1, "W2" => W2, _ => B2 };
            target[index] += delta;
            double total = 0;
            for (int j = 0; j < m; j++)
            {
                var a1 = new double[Hid];
                for (int c = 0; c < Hid; c++)
                {
                    double z = B1[c];
                    for (int r = 0; r < D; r++) z += k[j * D + r] * W1[r * Hid + c];
                    double t = Math.Tanh(0.7978845608 * (z + 0.044715 * z * z * z));
                    a1[c] = 0.5 * z * (1 + t);
                }
                var z2 = new double[D];
                for (int c = 0; c < D; c++)
                {
                    z2[c] = B2[c];
                    for (int r = 0; r < Hid; r++) z2[c] += a1[r] * W2[r * D + c];
                }
                double mean = z2.Average(), variance = z2.Select(v => (v - mean) * (v - mean)).Average(), s = Math.Sqrt(variance + Eps);
                double l = 0;
                for (int c = 0; c < D; c++)
                {
                    double y = gamma[c] * (z2[c] - mean) / s + beta[c] - tg[j * D + c];
                    l += 0.5 * y * y;
                }
                total += eta[j] * l;
            }
            return total;
        }
    }


    private static float[] Rand(GaussianRandom rng, int n, float std)
    {
        var x = new float[n];
        rng.Fill(x, std);
        return x;
    }
}
