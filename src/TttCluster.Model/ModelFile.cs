using TttCluster.Model.Parameters;
using TttCluster.Model.Weights;

namespace TttCluster.Model;

/// <summary>Reads and writes a whole model: weights plus the config in the file's metadata (docs/MODEL.md §3).</summary>
public static class ModelFile
{
    public const string ConfigKey = "ttt_config";

    /// <summary>Loads <paramref name="path"/>, checking every tensor against the inventory of the config it declares.</summary>
    public static ModelParameters Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(ConfigKey, out string? json))
            throw new WeightsFileException(path, null, $"expected a '{ConfigKey}' entry in __metadata__ holding the model config, found none",
                "write the file with `ttt` or add the config JSON of docs/MODEL.md §3");
        ModelConfig config;
        try { config = ModelConfig.FromJson(json, path); }
        catch (ModelConfigException e)
        {
            throw new WeightsFileException(path, null, $"__metadata__.{ConfigKey}: {e.Message}", innerException: e);
        }
        var expected = ParameterInventory.For(config).Select(e => new ExpectedTensor(e.Name, e.Shape)).ToArray();
        return new ModelParameters(config, WeightSet.Load(file, expected));
    }

    public static void Save(string path, ModelParameters parameters, SafetensorsDType dtype = SafetensorsDType.F32)
    {
        var metadata = new Dictionary<string, string> { [ConfigKey] = parameters.Config.ToJson() };
        SafetensorsWriter.Write(path, parameters.Tensors, metadata, dtype);
    }
}
