namespace TttCluster.Grains;

/// <summary>
/// Places a story's segments on silos as contiguous ranges, sized in proportion to each silo's capacity, so the serial
/// scan crosses a silo boundary only (silos − 1) times per direction. Deterministic: same inputs, same plan.
/// </summary>
public static class ContiguousPlacement
{
    /// <returns>For each segment, the index of its silo.</returns>
    public static int[] Assign(int segments, IReadOnlyList<int> capacities)
    {
        if (segments < 1) throw new ArgumentOutOfRangeException(nameof(segments), segments, "a story has at least one segment");
        if (capacities.Count == 0 || capacities.Any(c => c < 1))
            throw new ArgumentException("placement needs at least one silo, each with capacity ≥ 1", nameof(capacities));
        // Largest remainder: each silo gets ⌊n·c/total⌋ segments, the rest go to the largest fractional parts
        // (earlier silos first on ties); then the counts are laid out as contiguous ranges in silo order.
        long total = capacities.Sum(c => (long)c);
        var counts = capacities.Select(c => (int)(segments * (long)c / total)).ToArray();
        var byRemainder = Enumerable.Range(0, capacities.Count)
            .OrderByDescending(s => segments * (long)capacities[s] % total).ThenBy(s => s).ToArray();
        for (int i = 0; counts.Sum() < segments; i++) counts[byRemainder[i % byRemainder.Length]]++;
        var plan = new int[segments];
        int next = 0;
        for (int s = 0; s < counts.Length; s++)
            for (int j = 0; j < counts[s]; j++) plan[next++] = s;
        return plan;
    }
}
