namespace TttCluster.Video;

/// <summary>
/// Converts the model's float frames to the 8-bit interleaved layout that <see cref="Mp4Writer"/> and
/// <see cref="PngWriter"/> take. Deterministic: the same floats give the same bytes on every machine.
/// </summary>
public static class Frames
{
    /// <summary>Channels per pixel in rgb24 and in a planar float frame.</summary>
    public const int Channels = 3;

    /// <summary>
    /// A planar float frame [3, H, W] (all of R, then all of G, then all of B; row-major within a plane; values in
    /// [0, 1]) as a new interleaved rgb24 array [H, W, 3].
    /// </summary>
    public static byte[] ToRgb24(ReadOnlySpan<float> planar, int width, int height)
    {
        var rgb24 = new byte[checked(width * height * Channels)];
        ToRgb24(planar, width, height, rgb24);
        return rgb24;
    }

    /// <summary>
    /// As <see cref="ToRgb24(ReadOnlySpan{float}, int, int)"/>, into <paramref name="rgb24"/> (W · H · 3 bytes), so a
    /// render loop can reuse one buffer. Values are clamped to [0, 1] and NaN becomes 0, so a diverged pixel shows
    /// as black instead of failing the video; then byte = round(x · 255), halves to even (MathF.Round).
    /// </summary>
    public static void ToRgb24(ReadOnlySpan<float> planar, int width, int height, Span<byte> rgb24)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        int pixels = checked(width * height);
        if (planar.Length != pixels * Channels)
            throw new ArgumentException($"a [3, {height}, {width}] planar frame has {pixels * Channels} floats, found {planar.Length}", nameof(planar));
        if (rgb24.Length != pixels * Channels)
            throw new ArgumentException($"a {width}x{height} rgb24 frame has {pixels * Channels} bytes, found {rgb24.Length}", nameof(rgb24));

        ReadOnlySpan<float> red = planar[..pixels];
        ReadOnlySpan<float> green = planar.Slice(pixels, pixels);
        ReadOnlySpan<float> blue = planar.Slice(2 * pixels, pixels);
        for (int p = 0; p < pixels; p++)
        {
            rgb24[3 * p] = ToByte(red[p]);
            rgb24[3 * p + 1] = ToByte(green[p]);
            rgb24[3 * p + 2] = ToByte(blue[p]);
        }
    }

    /// <summary>One channel value in [0, 1] as a byte; NaN is 0, out-of-range values clamp.</summary>
    public static byte ToByte(float value)
    {
        // Math.Clamp passes NaN through, and (byte)NaN is undefined across platforms, so NaN is handled first.
        float clamped = float.IsNaN(value) ? 0f : Math.Clamp(value, 0f, 1f);
        return (byte)MathF.Round(clamped * 255f);
    }
}
