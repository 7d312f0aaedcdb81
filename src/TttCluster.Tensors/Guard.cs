using System.Runtime.CompilerServices;

namespace TttCluster.Tensors;

/// <summary>Shape guards whose messages name the argument and both sizes.</summary>
public static class Guard
{
    public static void Length(ReadOnlySpan<float> span, int needed, [CallerArgumentExpression(nameof(span))] string? name = null)
    {
        if (span.Length < needed)
            throw new ArgumentException($"'{name}' has {span.Length} elements, needs at least {needed}", name);
    }

    public static void SameLength(ReadOnlySpan<float> a, ReadOnlySpan<float> b,
        [CallerArgumentExpression(nameof(a))] string? nameA = null, [CallerArgumentExpression(nameof(b))] string? nameB = null)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"'{nameA}' has {a.Length} elements but '{nameB}' has {b.Length}", nameB);
    }
}
