using TttCluster.Model.Sampling;

namespace TttCluster.Rendering;

/// <summary>One scene: the text of its 3-second segment and an optional negative prompt (the CFG "uncond" text).</summary>
public sealed record SceneText(string Text, string? NegativeText = null);

/// <summary>What to render: scenes in order, the seed of the initial noise, and the sampler settings.</summary>
public sealed record RenderRequest(IReadOnlyList<SceneText> Scenes, ulong Seed, SamplerSettings Sampler);
