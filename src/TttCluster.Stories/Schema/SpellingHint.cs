namespace TttCluster.Stories.Schema;

/// <summary>The did-you-mean for an unknown field: "txt" → "text", "negativeText" → "negative_text", "guidance_scale" → "guidance".</summary>
internal static class SpellingHint
{
    /// <summary>Names longer than this are not typos of ours; skipping them keeps the edit distance cheap on hostile keys.</summary>
    private const int MaxComparedLength = 64;

    public static string? Suggest(string unknown, IReadOnlyList<string> known)
    {
        if (unknown.Length > MaxComparedLength)
            return null;
        string typed = Normalize(unknown);
        if (typed.Length == 0)
            return null;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string name in known)
        {
            string candidate = Normalize(name);
            int distance = EditDistance(typed, candidate);
            // A typo is a few edits, scaled to the name's length; a longer or shorter form of the name also counts.
            bool close = distance <= Math.Max(1, candidate.Length / 3)
                || (Math.Min(typed.Length, candidate.Length) >= 4 && (typed.StartsWith(candidate, StringComparison.Ordinal) || candidate.StartsWith(typed, StringComparison.Ordinal)));
            if (close && distance < bestDistance)
            {
                best = name;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Case and separators are the commonest slips (Text, negative-text, negativeText), so they cost nothing.</summary>
    private static string Normalize(string name) =>
        new(name.Where(c => c is not ('_' or '-' or ' ')).Select(char.ToLowerInvariant).ToArray());

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1.</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
