namespace TttCluster.Model.Parameters;

/// <summary>Every tensor a weights file must hold for a config: names and shapes of docs/MODEL.md §3, in one place.</summary>
public static class ParameterInventory
{
    public static IReadOnlyList<(string Name, int[] Shape)> For(ModelConfig config)
    {
        int d = config.Width, h = config.Heads, hd = config.HeadDim, hid = config.TtHidden, dt = config.TimeEmbedDim;
        var list = new List<(string, int[])>();
        void Linear(string name, int outDim, params int[] inShape)
        {
            list.Add((name + ".weight", [outDim, .. inShape]));
            list.Add((name + ".bias", [outDim]));
        }
        void Vector(string name, params int[] shape) => list.Add((name, shape));

        Linear("time_embed.fc1", dt, d);
        Linear("time_embed.fc2", dt, dt);
        Linear("patch_embed", d, config.LatentChannels, config.Patch, config.Patch);
        Linear("text_proj", d, config.TextDim);
        for (int i = 0; i < config.Layers; i++)
        {
            string b = $"blocks.{i}.";
            Vector(b + "norm1.weight", d); Vector(b + "norm1.bias", d);
            Linear(b + "ada_attn", 6 * d, dt);
            foreach (string p in new[] { "q", "k", "v", "o" }) Linear(b + "attn." + p, d, d);
            Vector(b + "attn.norm_q.weight", hd); Vector(b + "attn.norm_q.bias", hd);
            Vector(b + "attn.norm_k.weight", hd); Vector(b + "attn.norm_k.bias", hd);
            foreach (string p in new[] { "q", "k", "v", "o" }) Linear(b + "ttt." + p, d, d);
            Vector(b + "ttt.W1", h, hd, hid); Vector(b + "ttt.b1", h, hid);
            Vector(b + "ttt.W2", h, hid, hd); Vector(b + "ttt.b2", h, hd);
            Vector(b + "ttt.ln_weight", h, hd); Vector(b + "ttt.ln_bias", h, hd);
            Linear(b + "ttt.lr_gate", h, d);
            Vector(b + "ttt.post_norm.weight", d); Vector(b + "ttt.post_norm.bias", d);
            Vector(b + "gate_fwd_text", d); Vector(b + "gate_fwd_video", d);
            Vector(b + "gate_bwd_text", d); Vector(b + "gate_bwd_video", d);
            Vector(b + "norm2.weight", d); Vector(b + "norm2.bias", d);
            Linear(b + "ada_mlp", 6 * d, dt);
            Linear(b + "mlp.fc1", config.MlpHidden, d);
            Linear(b + "mlp.fc2", d, config.MlpHidden);
        }
        Vector("final_norm.weight", d); Vector("final_norm.bias", d);
        Linear("final.ada", 2 * d, dt);
        Linear("final.linear", config.PatchFeatures, d);
        return list;
    }

    /// <summary>Number of fp32 parameters of a config.</summary>
    public static long CountParameters(ModelConfig config) =>
        For(config).Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b));
}
