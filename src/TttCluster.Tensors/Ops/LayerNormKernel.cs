using System.Numerics.Tensors;

namespace TttCluster.Tensors;

/// <summary>Row-wise normalisations. Statistics are accumulated in fp32 with TensorPrimitives (vectorised).</summary>
public static class LayerNormKernel
{
    /// <summary>
    /// y = (x − mean)/sqrt(var_biased + eps)·γ + β for each row of <paramref name="x"/> [rows, width]. γ and β may be empty
    /// (no affine). <paramref name="y"/> may alias <paramref name="x"/>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int width, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps)
    {
        Guard.Length(x, rows * width);
        Guard.Length(y, rows * width);
        if (width < ShortRow)
        {
            for (int r = 0; r < rows; r++)
                ShortRowForward(x.Slice(r * width, width), y.Slice(r * width, width), gamma, beta, eps);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * width, width);
            Span<float> yr = y.Slice(r * width, width);
            float mean = TensorPrimitives.Sum(xr) / width;
            TensorPrimitives.Subtract(xr, mean, yr);
            float variance = TensorPrimitives.SumOfSquares(yr) / width;
            float invStd = 1f / MathF.Sqrt(variance + eps);
            TensorPrimitives.Multiply(yr, invStd, yr);
            if (!gamma.IsEmpty) TensorPrimitives.Multiply(yr, gamma, yr);
            if (!beta.IsEmpty) TensorPrimitives.Add(yr, beta, yr);
        }
    }

    /// <summary>Rows narrower than this (a head vector) use plain loops: a vectorised call costs more than the row.</summary>
    public const int ShortRow = 128;

    /// <summary>y = x − mean(x) with plain loops; returns Σ y². y may alias x.</summary>
    private static float CenterShortRow(ReadOnlySpan<float> x, Span<float> y)
    {
        int width = x.Length;
        float sum = 0;
        for (int i = 0; i < width; i++) sum += x[i];
        float mean = sum / width, squares = 0;
        for (int i = 0; i < width; i++) { float c = x[i] - mean; y[i] = c; squares += c * c; }
        return squares;
    }

    private static void ShortRowForward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps)
    {
        int width = x.Length;
        float squares = CenterShortRow(x, y);
        float invStd = 1f / MathF.Sqrt(squares / width + eps);
        if (gamma.IsEmpty)
            for (int i = 0; i < width; i++) y[i] *= invStd;
        else if (beta.IsEmpty)
            for (int i = 0; i < width; i++) y[i] = y[i] * invStd * gamma[i];
        else
            for (int i = 0; i < width; i++) y[i] = y[i] * invStd * gamma[i] + beta[i];
    }

    /// <summary>
    /// Normalises one row in place and returns its std s = sqrt(var_biased + eps), which the TTT inner gradient needs.
    /// </summary>
    public static float NormalizeRow(Span<float> row, float eps)
    {
        int width = row.Length;
        if (width < ShortRow)
        {
            float s = MathF.Sqrt(CenterShortRow(row, row) / width + eps), inv = 1f / s;
            for (int i = 0; i < width; i++) row[i] *= inv;
            return s;
        }
        float mean = TensorPrimitives.Sum(row) / width;
        TensorPrimitives.Subtract(row, mean, row);
        float std = MathF.Sqrt(TensorPrimitives.SumOfSquares(row) / width + eps);
        TensorPrimitives.Multiply(row, 1f / std, row);
        return std;
    }

    /// <summary>
    /// LN′ of the TTT target: (u − mean)/(std_unbiased + eps)·γ + β, eps added outside the square root (TTT_SPEC §4).
    /// </summary>
    public static void ForwardUnbiasedStd(ReadOnlySpan<float> u, Span<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps)
    {
        int width = u.Length;
        if (width < ShortRow)
        {
            float inv = 1f / (MathF.Sqrt(CenterShortRow(u, y) / (width - 1)) + eps);
            for (int i = 0; i < width; i++) y[i] = y[i] * inv * gamma[i] + beta[i];
            return;
        }
        float mean = TensorPrimitives.Sum(u) / width;
        TensorPrimitives.Subtract(u, mean, y);
        float std = MathF.Sqrt(TensorPrimitives.SumOfSquares(y) / (width - 1));
        TensorPrimitives.Multiply(y, 1f / (std + eps), y);
        TensorPrimitives.Multiply(y, gamma, y);
        TensorPrimitives.Add(y, beta, y);
    }
}
