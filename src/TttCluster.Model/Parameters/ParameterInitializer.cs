using TttCluster.Tensors;

namespace TttCluster.Model.Parameters;

/// <summary>
/// Seeded initialisation (TTT_SPEC §4 for the TTT parts): Linear weights N(0, 0.02) and zero biases, LayerNorm γ = 1 and
/// β = 0, TTT state W1, W2 ~ N(0, 0.02) with b1 = b2 = 0, lr gate N(0, 0.02) with c = 0, the four gates at α0.
/// The same seed gives the same weights on every machine: tensors are drawn in inventory order from one generator.
/// </summary>
public static class ParameterInitializer
{
    public const float Std = 0.02f;

    public static ModelParameters Initialize(ModelConfig config, ulong seed)
    {
        var rng = new GaussianRandom(seed);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in ParameterInventory.For(config))
        {
            var t = new Tensor(shape);
            switch (Kind(name))
            {
                case InitKind.Normal: rng.Fill(t.Data, Std); break;
                case InitKind.One: Array.Fill(t.Data, 1f); break;
                case InitKind.Gate: Array.Fill(t.Data, config.GateInit); break;
                case InitKind.Zero: break;
            }
            tensors[name] = t;
        }
        return new ModelParameters(config, tensors);
    }

    private enum InitKind { Normal, Zero, One, Gate }

    private static InitKind Kind(string name)
    {
        if (name.Contains(".gate_")) return InitKind.Gate;
        if (name.EndsWith("ttt.W1") || name.EndsWith("ttt.W2")) return InitKind.Normal;
        if (name.EndsWith("ttt.b1") || name.EndsWith("ttt.b2") || name.EndsWith("ttt.ln_bias")) return InitKind.Zero;
        if (name.EndsWith("ttt.ln_weight")) return InitKind.One;
        bool isNorm = name.Contains("norm");
        if (name.EndsWith(".weight")) return isNorm ? InitKind.One : InitKind.Normal;
        return InitKind.Zero; // every bias, and every LayerNorm β
    }
}
