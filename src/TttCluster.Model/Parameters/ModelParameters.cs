using TttCluster.Tensors;

namespace TttCluster.Model.Parameters;

/// <summary>All weights of a TTT-DiT, bound by name to typed fields. Built from a name → tensor map (a weights file or
/// the seeded initialiser); the map must match <see cref="ParameterInventory"/> exactly.</summary>
public sealed class ModelParameters
{
    public ModelConfig Config { get; }
    public LinearWeights TimeFc1 { get; }
    public LinearWeights TimeFc2 { get; }
    /// <summary>Conv 2×2 stride 2 as a Linear over the patch vector in (c, py, px) order.</summary>
    public LinearWeights PatchEmbed { get; }
    public LinearWeights TextProj { get; }
    public IReadOnlyList<BlockParameters> Blocks { get; }
    public float[] FinalNormWeight { get; }
    public float[] FinalNormBias { get; }
    /// <summary>SiLU(temb) → (shift, scale) of the final layer.</summary>
    public LinearWeights FinalAda { get; }
    public LinearWeights FinalLinear { get; }

    private readonly IReadOnlyDictionary<string, Tensor> _tensors;

    public ModelParameters(ModelConfig config, IReadOnlyDictionary<string, Tensor> tensors)
    {
        Config = config.Validate();
        var expected = ParameterInventory.For(config);
        var problems = new List<string>();
        foreach (var (name, shape) in expected)
        {
            if (!tensors.TryGetValue(name, out var t)) problems.Add($"missing tensor '{name}' {Tensor.FormatShape(shape)}");
            else if (!t.Shape.AsSpan().SequenceEqual(shape))
                problems.Add($"tensor '{name}': expected shape {Tensor.FormatShape(shape)}, found {Tensor.FormatShape(t.Shape)}");
        }
        var known = expected.Select(e => e.Name).ToHashSet();
        problems.AddRange(tensors.Keys.Where(n => !known.Contains(n)).Order().Select(n => $"unexpected tensor '{n}'"));
        if (problems.Count > 0)
            throw new ArgumentException($"weights do not fit the config ({problems.Count} problems): " + string.Join("; ", problems.Take(10)));

        _tensors = tensors;
        TimeFc1 = Linear("time_embed.fc1");
        TimeFc2 = Linear("time_embed.fc2");
        PatchEmbed = Linear("patch_embed");
        TextProj = Linear("text_proj");
        Blocks = Enumerable.Range(0, config.Layers).Select(BindBlock).ToArray();
        FinalNormWeight = Data("final_norm.weight");
        FinalNormBias = Data("final_norm.bias");
        FinalAda = Linear("final.ada");
        FinalLinear = Linear("final.linear");
    }

    /// <summary>The name → tensor map, for writing a weights file.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    private float[] Data(string name) => _tensors[name].Data;

    private LinearWeights Linear(string name)
    {
        Tensor w = _tensors[name + ".weight"];
        return new LinearWeights(w.Data, Data(name + ".bias"), w.Length / w.Shape[0], w.Shape[0]);
    }

    private BlockParameters BindBlock(int i)
    {
        string b = $"blocks.{i}.";
        return new BlockParameters
        {
            Norm1Weight = Data(b + "norm1.weight"), Norm1Bias = Data(b + "norm1.bias"),
            AdaAttn = Linear(b + "ada_attn"),
            AttnQ = Linear(b + "attn.q"), AttnK = Linear(b + "attn.k"), AttnV = Linear(b + "attn.v"), AttnO = Linear(b + "attn.o"),
            AttnNormQWeight = Data(b + "attn.norm_q.weight"), AttnNormQBias = Data(b + "attn.norm_q.bias"),
            AttnNormKWeight = Data(b + "attn.norm_k.weight"), AttnNormKBias = Data(b + "attn.norm_k.bias"),
            TttQ = Linear(b + "ttt.q"), TttK = Linear(b + "ttt.k"), TttV = Linear(b + "ttt.v"), TttO = Linear(b + "ttt.o"),
            W1 = Data(b + "ttt.W1"), B1 = Data(b + "ttt.b1"), W2 = Data(b + "ttt.W2"), B2 = Data(b + "ttt.b2"),
            TttLnWeight = Data(b + "ttt.ln_weight"), TttLnBias = Data(b + "ttt.ln_bias"),
            LrGate = Linear(b + "ttt.lr_gate"),
            PostNormWeight = Data(b + "ttt.post_norm.weight"), PostNormBias = Data(b + "ttt.post_norm.bias"),
            GateForwardText = Data(b + "gate_fwd_text"), GateForwardVideo = Data(b + "gate_fwd_video"),
            GateBackwardText = Data(b + "gate_bwd_text"), GateBackwardVideo = Data(b + "gate_bwd_video"),
            Norm2Weight = Data(b + "norm2.weight"), Norm2Bias = Data(b + "norm2.bias"),
            AdaMlp = Linear(b + "ada_mlp"),
            Fc1 = Linear(b + "mlp.fc1"), Fc2 = Linear(b + "mlp.fc2"),
        };
    }
}
