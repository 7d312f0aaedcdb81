using TttCluster.Model.Weights;
using TttCluster.Tensors;

namespace TttCluster.Model.Tests.Weights;

/// <summary>Loading a file against the model's inventory: every mismatch reported at once, with the likely cause.</summary>
public sealed class WeightSetTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ExpectedTensor[] Inventory =
    [
        new("blocks.0.attn.q.weight", [64, 64]),
        new("blocks.0.attn.q.bias", [64]),
        new("final.linear.weight", [16, 64]),
    ];

    /// <summary>Writes one tensor per (name, shape), each filled with its index so tests can tell them apart.</summary>
    private string WriteFile(params (string Name, int[] Shape)[] tensors)
    {
        string path = _dir.File("weights.safetensors");
        SafetensorsWriter.Write(path, tensors.Select((t, i) =>
        {
            var tensor = new Tensor(t.Shape);
            tensor.Span.Fill(i);
            return new KeyValuePair<string, Tensor>(t.Name, tensor);
        }));
        return path;
    }

    private string WriteInventory(Func<ExpectedTensor, bool>? keep = null) =>
        WriteFile(Inventory.Where(keep ?? (_ => true)).Select(e => (e.Name, e.Shape)).ToArray());

    [Fact]
    public void Load_ReturnsEveryExpectedTensorAsFp32()
    {
        string path = WriteInventory();

        var tensors = WeightSet.Load(path, Inventory);

        Assert.Equal(Inventory.Select(e => e.Name).Order(), tensors.Keys.Order());
        Assert.Equal([16, 64], tensors["final.linear.weight"].Shape);
        Assert.All(tensors["blocks.0.attn.q.bias"].Data, v => Assert.Equal(1f, v)); // the second tensor written
        Assert.All(tensors["final.linear.weight"].Data, v => Assert.Equal(2f, v));
    }

    [Fact]
    public void Load_MissingTensorNamesItAndItsExpectedShape()
    {
        string path = WriteInventory(e => e.Name != "blocks.0.attn.q.bias");

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, Inventory));

        Assert.StartsWith($"{path}: tensor 'blocks.0.attn.q.bias': missing: expected shape [64], found no tensor", error.Message);
        Assert.Equal("blocks.0.attn.q.bias", error.TensorName);
    }

    [Fact]
    public void Load_ExtraTensorIsListed()
    {
        string path = WriteFile([.. Inventory.Select(e => (e.Name, e.Shape)), ("optimizer.step", [1])]);

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, Inventory));

        Assert.StartsWith($"{path}: tensor 'optimizer.step': unexpected: the model has no such tensor, found F32 [1]", error.Message);
    }

    [Fact]
    public void Load_WrongShapeSaysExpectedAndFound()
    {
        string path = WriteFile(("blocks.0.attn.q.weight", [64, 32]), ("blocks.0.attn.q.bias", [64]), ("final.linear.weight", [16, 64]));

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, Inventory));

        Assert.Contains("tensor 'blocks.0.attn.q.weight': expected shape [64, 64], found [64, 32]", error.Message);
    }

    [Fact]
    public void Load_TransposedWeightGetsAHint()
    {
        string path = WriteFile(("blocks.0.attn.q.weight", [64, 64]), ("blocks.0.attn.q.bias", [64]), ("final.linear.weight", [64, 16]));

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, Inventory));

        Assert.Contains("expected shape [16, 64], found [64, 16]", error.Message);
        Assert.Contains("Hint: 'final.linear.weight' looks transposed", error.Message);
    }

    [Fact]
    public void Load_ReportsAllProblemsTogetherMostImportantFirst()
    {
        string path = WriteFile(("blocks.0.attn.q.weight", [64, 32]), ("extra.one", [2]), ("extra.two", [3]));

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, Inventory));

        string message = error.Message;
        Assert.Contains("(3 tensors expected, 3 in the file): 2 missing, 1 with the wrong shape, 2 unexpected", message);
        int missing = message.IndexOf("tensor 'blocks.0.attn.q.bias': missing: expected shape [64]", StringComparison.Ordinal);
        int wrongShape = message.IndexOf("tensor 'blocks.0.attn.q.weight': expected shape [64, 64], found [64, 32]", StringComparison.Ordinal);
        int extra = message.IndexOf("tensor 'extra.two': unexpected", StringComparison.Ordinal);
        Assert.True(missing > 0 && wrongShape > missing && extra > wrongShape, message);
        Assert.Contains("tensor 'final.linear.weight': missing: expected shape [16, 64]", message);
        Assert.StartsWith($"{path}: the weights do not match the model", message);
        Assert.Null(error.TensorName);
    }

    [Fact]
    public void Load_ListsAtMostTenOfAKindAndCountsTheRest()
    {
        ExpectedTensor[] many = [.. Enumerable.Range(0, 25).Select(i => new ExpectedTensor($"blocks.{i}.norm1.weight", [8]))];
        string path = WriteFile(("unrelated", [1]));

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, many));

        Assert.Contains("25 missing, 1 unexpected", error.Message);
        Assert.Contains("blocks.9.norm1.weight", error.Message);
        Assert.DoesNotContain("blocks.10.norm1.weight", error.Message);
        Assert.Contains("... and 15 more like these", error.Message);
        Assert.Contains("tensor 'unrelated': unexpected", error.Message);
    }

    [Fact]
    public void Load_PrefixedNamesGetAHint()
    {
        string path = WriteFile([.. Inventory.Select(e => ("model." + e.Name, e.Shape))]);

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, Inventory));

        Assert.Contains("Hint: the file's names look prefixed with 'model.'", error.Message);
    }

    [Fact]
    public void Load_UnreadableDTypeIsReportedBeforeReading()
    {
        string path = _dir.File("ints.safetensors");
        RawSafetensors.Write(path, """{"step":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, [new ExpectedTensor("step", [1])]));

        Assert.Contains("tensor 'step': expected dtype F32, F16, BF16, found I32", error.Message);
    }

    [Fact]
    public void Load_NaNInAnExpectedTensorFails()
    {
        string path = _dir.File("nan.safetensors");
        SafetensorsWriter.Write(path, [new("gate", new Tensor([0f, float.NaN], 2))]);

        var error = Assert.Throws<WeightsFileException>(() => WeightSet.Load(path, [new ExpectedTensor("gate", [2])]));

        Assert.Contains($"{path}: tensor 'gate': has NaN at element 1 (index [1])", error.Message);
    }

    [Fact]
    public void Load_FromAnOpenFileLetsTheCallerReadTheConfigFirst()
    {
        string path = _dir.File("configured.safetensors");
        SafetensorsWriter.Write(path, [new("w", new Tensor(2, 3))], new Dictionary<string, string> { ["ttt_config"] = """{"width":3}""" });

        using var file = SafetensorsFile.Open(path);
        int width = System.Text.Json.JsonDocument.Parse(file.Metadata["ttt_config"]).RootElement.GetProperty("width").GetInt32();
        var tensors = WeightSet.Load(file, [new ExpectedTensor("w", [2, width])]);

        Assert.Equal([2, 3], tensors["w"].Shape);
    }
}
