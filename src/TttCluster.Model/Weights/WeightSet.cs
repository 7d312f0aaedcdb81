using System.Text;
using TttCluster.Tensors;

namespace TttCluster.Model.Weights;

/// <summary>
/// Loads a weights file against the inventory a model expects: every expected tensor present with its exact shape,
/// nothing else in the file. All mismatches are reported together, so one failed load shows the whole picture
/// (a wrong config shows up as a pattern, not as the first of fifty errors).
/// </summary>
public static class WeightSet
{
    /// <summary>How many names each kind of problem lists before it summarises the rest.</summary>
    private const int ListedPerKind = 10;

    /// <summary>Opens <paramref name="path"/> and loads it; see <see cref="Load(SafetensorsFile, IReadOnlyList{ExpectedTensor})"/>.</summary>
    public static IReadOnlyDictionary<string, Tensor> Load(string path, IReadOnlyList<ExpectedTensor> expected)
    {
        using SafetensorsFile file = SafetensorsFile.Open(path);
        return Load(file, expected);
    }

    /// <summary>
    /// Checks the file's tensors against <paramref name="expected"/>, then reads every one as fp32. Takes an open
    /// file so a caller can first read the config from <see cref="SafetensorsFile.Metadata"/> and derive the
    /// inventory from it. Throws one <see cref="WeightsFileException"/> listing every missing tensor, wrong shape,
    /// unreadable dtype and unexpected tensor, most important first.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> Load(SafetensorsFile file, IReadOnlyList<ExpectedTensor> expected)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(expected);
        CheckInventory(file, expected);

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (ExpectedTensor entry in expected)
            tensors[entry.Name] = file.Read(entry.Name);
        return tensors;
    }

    private static void CheckInventory(SafetensorsFile file, IReadOnlyList<ExpectedTensor> expected)
    {
        var expectedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (ExpectedTensor entry in expected)
        {
            if (!expectedNames.Add(entry.Name))
                throw new ArgumentException($"tensor '{entry.Name}' is expected twice", nameof(expected));
        }

        var missing = new List<ExpectedTensor>();
        var wrongShape = new List<(ExpectedTensor Expected, TensorInfo Found)>();
        var unreadable = new List<TensorInfo>();
        foreach (ExpectedTensor entry in expected)
        {
            if (!file.Contains(entry.Name)) { missing.Add(entry); continue; }
            TensorInfo found = file.GetInfo(entry.Name);
            if (!found.Shape.SequenceEqual(entry.Shape)) wrongShape.Add((entry, found));
            if (!found.DType.IsFloating()) unreadable.Add(found);
        }
        var extra = file.Tensors.Where(t => !expectedNames.Contains(t.Name)).ToList();

        // Most important first: a missing tensor or a wrong shape stops the model; an extra tensor may be harmless.
        var groups = new (string Kind, List<(string Tensor, string Text)> Problems)[]
        {
            ("missing", missing.ConvertAll(m => (m.Name, $"missing: expected shape {TensorInfo.FormatShape(m.Shape)}, found no tensor"))),
            ("with the wrong shape", wrongShape.ConvertAll(w => (w.Expected.Name,
                $"expected shape {TensorInfo.FormatShape(w.Expected.Shape)}, found {TensorInfo.FormatShape(w.Found.Shape)}"))),
            ("with an unreadable dtype", unreadable.ConvertAll(u => (u.Name,
                $"expected dtype {SafetensorsDTypes.FloatingHeaderNames}, found {u.DType.ToHeaderName()}"))),
            ("unexpected", extra.ConvertAll(e => (e.Name,
                $"unexpected: the model has no such tensor, found {e.DType.ToHeaderName()} {TensorInfo.FormatShape(e.Shape)}"))),
        };
        var all = groups.SelectMany(g => g.Problems).ToList();
        if (all.Count == 0) return;

        string? hint = Hint(missing, wrongShape, unreadable, extra);
        if (all.Count == 1)
            throw new WeightsFileException(file.Path, all[0].Tensor, all[0].Text, hint);

        var message = new StringBuilder();
        message.Append($"the weights do not match the model ({expected.Count} tensors expected, {file.Tensors.Count} in the file): ");
        message.Append(string.Join(", ", groups.Where(g => g.Problems.Count > 0).Select(g => $"{g.Problems.Count} {g.Kind}")));
        foreach (var (_, problems) in groups)
        {
            foreach (var (tensor, text) in problems.Take(ListedPerKind))
                message.Append($"\n  tensor '{tensor}': {text}");
            if (problems.Count > ListedPerKind)
                message.Append($"\n  ... and {problems.Count - ListedPerKind} more like these");
        }
        if (hint is not null) message.Append("\nHint: ").Append(hint);
        // No single tensor is to blame, so none is named up front; the list names each.
        throw new WeightsFileException(file.Path, tensorName: null, message.ToString());
    }

    /// <summary>Names the likely cause when the mismatches follow a known pattern.</summary>
    private static string? Hint(List<ExpectedTensor> missing, List<(ExpectedTensor Expected, TensorInfo Found)> wrongShape,
        List<TensorInfo> unreadable, List<TensorInfo> extra)
    {
        // A whole-file prefix such as "model." or "module." (a wrapper saved with torch.save(model.state_dict())).
        foreach (ExpectedTensor m in missing)
        {
            TensorInfo? prefixed = extra.FirstOrDefault(e => e.Name.Length > m.Name.Length && e.Name.EndsWith("." + m.Name, StringComparison.Ordinal));
            if (prefixed is not null)
                return $"the file's names look prefixed with '{prefixed.Name[..^m.Name.Length]}' ('{prefixed.Name}' for '{m.Name}'); strip the prefix when exporting";
        }

        var transposed = wrongShape.FirstOrDefault(w => w.Expected.Shape.Length == 2 && w.Found.Shape.SequenceEqual(Enumerable.Reverse(w.Expected.Shape)));
        if (transposed.Found is not null)
            return $"'{transposed.Expected.Name}' looks transposed; Linear weights are stored [out, in] as PyTorch stores them";

        if (missing.Count > 0 || extra.Count > 0 || wrongShape.Count > 0)
            return "check that the file was exported for this model's config (ttt_config in the file's metadata; names and shapes in docs/MODEL.md §3)";

        return unreadable.Count > 0 ? $"convert the weights to one of {SafetensorsDTypes.FloatingHeaderNames}" : null;
    }
}
