using TttCluster.Model.Layers;
using TttCluster.Model.Parameters;
using TttCluster.Tensors;

namespace TttCluster.Model.Plan;

/// <summary>
/// What every phase of one denoising step reads and nobody writes: weights, the story's layout, the timestep and the
/// adaLN vectors it implies, and the RoPE tables. Built once per step; identical on every silo for the same inputs.
/// </summary>
public sealed class StepContext
{
    public ModelParameters Parameters { get; }
    public ModelConfig Config => Parameters.Config;
    public SequenceLayout Layout { get; }
    /// <summary>Streams run together: 2 for classifier-free guidance (cond, uncond), 1 for a plain forward.</summary>
    public int Batch { get; }
    /// <summary>Integer DDPM timestep (0..999).</summary>
    public int Timestep { get; }
    /// <summary>Per block: the attention/TTT modulation and the MLP modulation.</summary>
    public IReadOnlyList<(Modulation Attn, Modulation Mlp)> BlockModulation { get; }
    public float[] FinalShift { get; }
    public float[] FinalScale { get; }
    public Rope3D Rope { get; }

    public StepContext(ModelParameters parameters, SequenceLayout layout, int batch, int timestep)
        : this(parameters, layout, batch, timestep, TimeEmbedding.Forward(parameters, timestep)) { }

    /// <summary>A context for a given time embedding temb [Dt] (tests feed the reference's).</summary>
    public StepContext(ModelParameters parameters, SequenceLayout layout, int batch, int timestep, float[] timeEmbedding)
    {
        if (!ReferenceEquals(parameters.Config, layout.Config) && parameters.Config != layout.Config)
            throw new ArgumentException("the layout was made for a different config than the weights");
        if (timestep is < 0 or > 999) throw new ArgumentOutOfRangeException(nameof(timestep), timestep, "DDPM timesteps are 0..999");
        Parameters = parameters; Layout = layout; Batch = batch; Timestep = timestep;
        int d = parameters.Config.Width;
        float[] c = (float[])timeEmbedding.Clone();
        Activations.Silu(c, c);
        BlockModulation = parameters.Blocks
            .Select(b => (new Modulation(Linear.ForwardVector(b.AdaAttn, c), d), new Modulation(Linear.ForwardVector(b.AdaMlp, c), d)))
            .ToArray();
        float[] final = Linear.ForwardVector(parameters.FinalAda, c);
        FinalShift = final[..d];
        FinalScale = final[d..];
        Rope = new Rope3D(parameters.Config, layout.Frames);
    }
}
