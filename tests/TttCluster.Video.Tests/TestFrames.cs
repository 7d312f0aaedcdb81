namespace TttCluster.Video.Tests;

/// <summary>Synthetic rgb24 frames whose every channel says something different about position and time.</summary>
internal static class TestFrames
{
    /// <summary>
    /// A smooth frame that moves with <paramref name="t"/>: red is a horizontal wave drifting right, green ramps
    /// from top to bottom, blue brightens over time. Smooth so H.264 keeps it close; a swapped channel, flipped row
    /// order or wrong frame order each give a large error.
    /// </summary>
    public static byte[] MovingGradient(int width, int height, int t)
    {
        var rgb24 = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = 3 * (y * width + x);
                rgb24[i] = (byte)Math.Round(128 + 100 * Math.Sin(2 * Math.PI * ((double)x / width + t / 48.0)));
                rgb24[i + 1] = (byte)Math.Round(30 + 190.0 * y / (height - 1));
                rgb24[i + 2] = (byte)(60 + 2 * t);
            }
        }
        return rgb24;
    }

    /// <summary>A frame of one colour.</summary>
    public static byte[] Solid(int width, int height, byte r, byte g, byte b)
    {
        var rgb24 = new byte[width * height * 3];
        for (int i = 0; i < rgb24.Length; i += 3)
        {
            rgb24[i] = r;
            rgb24[i + 1] = g;
            rgb24[i + 2] = b;
        }
        return rgb24;
    }

    /// <summary>Mean absolute difference per byte of two equally long images, in 8-bit levels.</summary>
    public static double MeanAbsoluteError(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return (double)sum / a.Length;
    }

    /// <summary><paramref name="rgb24"/> upside down: what a decoder with the wrong row order would give.</summary>
    public static byte[] FlipRows(byte[] rgb24, int width, int height)
    {
        var flipped = new byte[rgb24.Length];
        int rowBytes = width * 3;
        for (int y = 0; y < height; y++)
            Array.Copy(rgb24, y * rowBytes, flipped, (height - 1 - y) * rowBytes, rowBytes);
        return flipped;
    }
}
