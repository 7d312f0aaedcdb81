using System.Globalization;

namespace TttCluster.Stories.Schema;

/// <summary>
/// Reads the numbers a story may hold, as written: JSON numbers and the YAML 1.2 core schema forms
/// (42, +42, 0x2A, 0o52, 4.0, 1e3, .inf, -.inf, .nan). Only scalars already resolved as numbers come here.
/// </summary>
internal static class NumberText
{
    /// <summary>An integer that fits 64 bits unsigned, with its sign apart (so -1 and 2^64 both fail cleanly).</summary>
    public static bool TryParseInteger(string text, out bool negative, out ulong magnitude)
    {
        ReadOnlySpan<char> digits = text;
        negative = digits.StartsWith('-');
        if (digits.StartsWith('-') || digits.StartsWith('+'))
            digits = digits[1..];
        if (digits.StartsWith("0x") && digits.Length > 2)
            return ulong.TryParse(digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out magnitude);
        if (digits.StartsWith("0o") && digits.Length > 2)
            return TryParseOctal(digits[2..], out magnitude);
        // NumberStyles.None: digits only, so "1.5", "1e3", "+-1" and " 1" are not integers.
        return ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out magnitude);
    }

    /// <summary>Any number, including ±infinity and NaN (range checks reject those with a clear message).</summary>
    public static bool TryParseNumber(string text, out double value)
    {
        switch (text)
        {
            case ".nan" or ".NaN" or ".NAN":
                value = double.NaN;
                return true;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                value = double.PositiveInfinity;
                return true;
            case "-.inf" or "-.Inf" or "-.INF":
                value = double.NegativeInfinity;
                return true;
        }
        if (TryParseInteger(text, out bool negative, out ulong magnitude))
        {
            value = negative ? -(double)magnitude : magnitude;
            return true;
        }
        // Decimal forms only (no hex floats, no thousands separators); too large a value becomes ±infinity.
        return double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseOctal(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        foreach (char c in digits)
        {
            if (c is < '0' or > '7' || value > ulong.MaxValue >> 3)
                return false;
            value = value * 8 + (uint)(c - '0');
        }
        return true;
    }
}
