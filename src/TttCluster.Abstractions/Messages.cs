namespace TttCluster.Abstractions;

/// <summary>A story to render: per scene the text tokens of both CFG streams, the seeded noise, the sampler settings.</summary>
/// <param name="Cond">Text tokens of every scene, [n, Lt, TextDim] flattened.</param>
/// <param name="Uncond">The same for the negative prompts.</param>
/// <param name="Noise">Initial latents [T, C, H, W] flattened.</param>
[GenerateSerializer, Immutable]
public sealed record StoryJob(string StoryId, int Segments, FloatBlock Cond, FloatBlock Uncond, FloatBlock Noise, int Steps, double Guidance, double GuidancePower);

/// <summary>
/// What a segment grain needs to start (or restart after a re-placement): its index, the story's size, its text (both
/// streams), its latent frames, the attempt (the placement's id), and the silo of every segment (the attempt and the silo are part of each
/// segment's key, so a segment can address its neighbours, and a re-placement makes new grains: a late message of an
/// abandoned attempt can only reach the old ones).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SegmentSetup(string StoryId, int Index, int Segments, FloatBlock Cond, FloatBlock Uncond, FloatBlock Latents, string Attempt,
    string[] Placement);

/// <summary>Step i at DDPM timestep t.</summary>
[GenerateSerializer, Immutable]
public sealed record StepStart(int Step, int Timestep);

/// <summary>The sampler update of step i with CFG scale s.</summary>
[GenerateSerializer, Immutable]
public sealed record StepEnd(int Step, int Steps, double GuidanceScale);

/// <summary>
/// One run of the scan: the layer, the direction and the head group. Heads scan independently, so each group of heads
/// passes from segment to segment on its own: a segment scans group g + 1 while the next segment scans group g.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ScanTurn(int Layer, bool Reverse, int Group);

/// <summary>
/// Scan outputs [B, heads of the group, Count, d] of one head group for direction positions FirstPosition ..
/// FirstPosition + Count − 1 of one segment.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ScanOutputs(int Segment, int Layer, bool Reverse, int Group, int FirstPosition, int Count, FloatBlock Output);

/// <summary>
/// What a segment waits for from its neighbours before a phase: the last frame of segment k − 1 (before attention), the
/// halo output of segment k + 1 (before the forward inputs), the scan state of the previous segment in each direction
/// (before its scan), and the outputs of mini-batches that straddled into the next segment (before finishing a direction).
/// </summary>
[GenerateSerializer]
public enum SegmentInput { HaloInput = 1, HaloOutput, ForwardState, ForwardOutputs, ReverseState, ReverseOutputs }

/// <summary>
/// The parallel phases of a layer: after the forward scan, Z and the reverse inputs (FinishForward); after the reverse
/// scan, Z′, the gates and the MLP, and straight on into the next layer's attention and forward scan inputs
/// (FinishBlockThenAttention: a segment's attention needs only its own residual and the last frame segment k − 1 pushes
/// to it, so no barrier separates them). A step's first attention runs with its begin, its last block with its end.
/// </summary>
[GenerateSerializer]
public enum SegmentPhase { FinishForward = 1, FinishBlockThenAttention }

/// <summary>
/// Where a segment is: step, layer, phase, and the silo it runs on. Segment −1: the coordinator speaking for the story
/// (its silo is empty, or after a <see cref="SiloFailure"/> the dead silos' names, comma-separated).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SegmentProgress(string StoryId, int Segment, int Step, int Layer, string Phase, string Silo)
{
    /// <summary>How the coordinator's phase starts when a step is redone because silos of its placement died.</summary>
    public const string SiloFailure = "silo failure";
}

[GenerateSerializer, Immutable]
public sealed record StoryStatus(string StoryId, string State, int StepsDone, int Steps);

/// <param name="Capacity">How many segments' share of the work it takes; 0: it hosts coordinators only (a gateway).</param>
/// <param name="ActiveSegments">Segment grains active on it now.</param>
/// <param name="Stories">The stories those segments belong to, in id order (what the silo is working on).</param>
/// <param name="CpuSeconds">Processor time the silo's process has used since it started (every core counted).</param>
/// <param name="Cores">The cores that process may use.</param>
[GenerateSerializer, Immutable]
public sealed record SiloWorkload(string SiloName, int Capacity, int ActiveSegments, IReadOnlyList<string> Stories, double CpuSeconds = 0, int Cores = 1);

/// <summary>
/// How a render ended: finished (all steps), or stopped by its caller after <paramref name="StepsDone"/> steps. Latents:
/// after the last finished step (null when stopped before the first finished).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RenderOutcome(string StoryId, bool Stopped, int StepsDone, FloatBlock? Latents);
