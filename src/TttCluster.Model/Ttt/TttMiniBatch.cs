using System.Numerics.Tensors;
using TttCluster.Tensors;

namespace TttCluster.Model.Ttt;

/// <summary>
/// One TTT-MLP mini-batch for one head (TTT_SPEC §5, docs/MODEL.md §5): the closed-form gradient of Σ_j η_j ℓ_j at the
/// old state, one SGD step, then every token's output from the updated state. Single-threaded and allocation-free:
/// the scanner runs many of these in parallel, one head per task.
/// </summary>
public sealed class TttMiniBatch
{
    private readonly int _d, _hidden, _maxRows;
    private readonly float _eps;
    // Scratch, sized for the largest mini-batch.
    private readonly float[] _z1, _a1, _gelu1, _z2, _xhat, _std, _g2, _g1, _etaG2, _etaG1;

    public TttMiniBatch(int headDim, int maxRows, float eps)
    {
        _d = headDim; _hidden = 4 * headDim; _maxRows = maxRows; _eps = eps;
        _z1 = new float[maxRows * _hidden]; _a1 = new float[maxRows * _hidden]; _gelu1 = new float[maxRows * _hidden];
        _g1 = new float[maxRows * _hidden]; _etaG1 = new float[maxRows * _hidden];
        _z2 = new float[maxRows * _d]; _xhat = new float[maxRows * _d]; _g2 = new float[maxRows * _d]; _etaG2 = new float[maxRows * _d];
        _std = new float[maxRows];
    }

    /// <summary>
    /// Updates the state (<paramref name="w1"/> [d, 4d], <paramref name="b1"/> [4d], <paramref name="w2"/> [4d, d],
    /// <paramref name="b2"/> [d]) with <paramref name="m"/> ≤ b tokens and writes their outputs to <paramref name="output"/> [m, d].
    /// <paramref name="target"/> is Tg = LN′(V − K); <paramref name="eta"/> [m] already includes 1/b.
    /// </summary>
    public void Step(Span<float> w1, Span<float> b1, Span<float> w2, Span<float> b2,
        ReadOnlySpan<float> k, ReadOnlySpan<float> q, ReadOnlySpan<float> target, ReadOnlySpan<float> eta, int m,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> output)
    {
        if (m < 1 || m > _maxRows) throw new ArgumentOutOfRangeException(nameof(m), m, $"a mini-batch holds 1..{_maxRows} tokens");
        int d = _d, hid = _hidden;
        Span<float> z1 = _z1.AsSpan(0, m * hid), a1 = _a1.AsSpan(0, m * hid), gelu1 = _gelu1.AsSpan(0, m * hid);
        Span<float> z2 = _z2.AsSpan(0, m * d), xhat = _xhat.AsSpan(0, m * d), g2 = _g2.AsSpan(0, m * d);
        Span<float> g1 = _g1.AsSpan(0, m * hid), etaG2 = _etaG2.AsSpan(0, m * d), etaG1 = _etaG1.AsSpan(0, m * hid);

        // Forward at the old state: Z1 = K·W1 + b1, A1 = gelu(Z1), Z2 = A1·W2 + b2.
        FillRows(z1, m, b1);
        Gemm.SgemmManaged(false, false, m, hid, d, 1f, k, d, w1, hid, 1f, z1, hid);            // (m, 4d)
        Activations.GeluWithDerivative(z1, a1, gelu1);
        FillRows(z2, m, b2);
        Gemm.SgemmManaged(false, false, m, d, hid, 1f, a1, hid, w2, d, 1f, z2, d);             // (m, d)

        // ℓ = ½‖γ⊙X̂ + β − Tg‖²  →  G2 = dℓ/dZ2 through the LayerNorm (closed form). Plain loops: rows are d wide.
        for (int r = 0; r < m; r++)
        {
            Span<float> xr = xhat.Slice(r * d, d);
            z2.Slice(r * d, d).CopyTo(xr);
            float s = LayerNormKernel.NormalizeRow(xr, _eps);
            Span<float> gx = g2.Slice(r * d, d);
            ReadOnlySpan<float> tr = target.Slice(r * d, d);
            float sumGx = 0, sumGxXhat = 0;
            for (int c = 0; c < d; c++)
            {
                float g = gamma[c] * (gamma[c] * xr[c] + beta[c] - tr[c]);   // Gx = γ ⊙ (γ⊙X̂ + β − Tg)
                gx[c] = g;
                sumGx += g;
                sumGxXhat += g * xr[c];
            }
            // G2 = (d·Gx − ΣGx − X̂·Σ(Gx⊙X̂)) / (d·s)
            float inv = 1f / (d * s);
            for (int c = 0; c < d; c++) gx[c] = (d * gx[c] - sumGx - xr[c] * sumGxXhat) * inv;
            _std[r] = s;
        }

        // G1 = (G2·W2ᵀ) ⊙ gelu′(Z1), with the OLD W2.
        Gemm.SgemmManaged(false, true, m, hid, d, 1f, g2, d, w2, d, 0f, g1, hid);              // (m, 4d)
        TensorPrimitives.Multiply(g1, gelu1, g1);

        // Per-token weighted gradients, then one SGD step.
        for (int r = 0; r < m; r++)
        {
            float e = eta[r];
            Span<float> eg2 = etaG2.Slice(r * d, d), eg1 = etaG1.Slice(r * hid, hid);
            ReadOnlySpan<float> g2r = g2.Slice(r * d, d), g1r = g1.Slice(r * hid, hid);
            for (int c = 0; c < d; c++) eg2[c] = e * g2r[c];
            for (int c = 0; c < hid; c++) eg1[c] = e * g1r[c];
        }
        Gemm.SgemmManaged(true, false, hid, d, m, -1f, a1, hid, etaG2, d, 1f, w2, d);          // W2 −= A1ᵀ·(η⊙G2)
        Gemm.SgemmManaged(true, false, d, hid, m, -1f, k, d, etaG1, hid, 1f, w1, hid);         // W1 −= Kᵀ·(η⊙G1)
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> eg2 = etaG2.Slice(r * d, d), eg1 = etaG1.Slice(r * hid, hid);
            for (int c = 0; c < d; c++) b2[c] -= eg2[c];
            for (int c = 0; c < hid; c++) b1[c] -= eg1[c];
        }

        // Output with the updated state: O = Q + γ⊙LN(gelu(Q·W1 + b1)·W2 + b2) + β.
        FillRows(z1, m, b1);
        Gemm.SgemmManaged(false, false, m, hid, d, 1f, q, d, w1, hid, 1f, z1, hid);
        Activations.Gelu(z1, a1);
        FillRows(z2, m, b2);
        Gemm.SgemmManaged(false, false, m, d, hid, 1f, a1, hid, w2, d, 1f, z2, d);
        for (int r = 0; r < m; r++)
        {
            Span<float> o = output.Slice(r * d, d);
            z2.Slice(r * d, d).CopyTo(o);
            LayerNormKernel.NormalizeRow(o, _eps);
            ReadOnlySpan<float> qr = q.Slice(r * d, d);
            for (int c = 0; c < d; c++) o[c] = o[c] * gamma[c] + beta[c] + qr[c];
        }
    }

    private static void FillRows(Span<float> matrix, int rows, ReadOnlySpan<float> row)
    {
        for (int r = 0; r < rows; r++) row.CopyTo(matrix.Slice(r * row.Length, row.Length));
    }
}
