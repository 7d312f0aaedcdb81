using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace TttCluster.Tensors.Kernels;

/// <summary>
/// Argument checks for the kernels. Messages name the argument as the caller wrote it and give both the needed
/// and the actual size, so a shape error points at the line that made it. The checks inline to a compare and a
/// branch (the TTT scan validates millions of small calls); building a message happens only on failure.
/// </summary>
internal static class KernelGuard
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NotNegative(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value < 0)
            ThrowOutOfRange(name, value, $"{name} must be >= 0 but is {value}");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Positive(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value <= 0)
            ThrowOutOfRange(name, value, $"{name} must be > 0 but is {value}");
    }

    /// <summary>A row-major row stride must cover the row: stride >= max(1, width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RowStride(int stride, int width, string matrix, [CallerArgumentExpression(nameof(stride))] string? name = null)
    {
        if (stride < Math.Max(1, width))
            ThrowOutOfRange(name, stride, $"{name} = {stride} but {matrix} has rows of {width} floats, so {name} must be >= {Math.Max(1, width)}");
    }

    /// <summary>The span must hold a row-major rows×cols matrix with the given row stride: (rows-1)·stride + cols floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void HoldsMatrix(int length, int rows, int cols, int stride, string matrix, [CallerArgumentExpression(nameof(length))] string? name = null)
    {
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * stride + cols;
        if (length < needed)
            ThrowTooShort(name, length, needed, $"{matrix} ({rows}×{cols}, row stride {stride})");
    }

    /// <summary>The span must hold at least <paramref name="needed"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void HoldsAtLeast(int length, long needed, string what, [CallerArgumentExpression(nameof(length))] string? name = null)
    {
        if (length < needed)
            ThrowTooShort(name, length, needed, what);
    }

    // Interpolated messages above are built only on the failing path: the handler is created inside the branch.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutOfRange(string? name, int value, string message) =>
        throw new ArgumentOutOfRangeException(name, value, message);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooShort(string? expression, int length, long needed, string what)
    {
        string? name = TrimLength(expression);
        throw new ArgumentException($"{name} has {length} floats but {what} needs {needed}", name);
    }

    /// <summary>"a.Length" → "a": the parameter name for ArgumentException.ParamName.</summary>
    private static string? TrimLength(string? expression) =>
        expression is not null && expression.EndsWith(".Length", StringComparison.Ordinal) ? expression[..^".Length".Length] : expression;
}
