using TttCluster.Model;
using TttCluster.Model.Sampling;
using TttCluster.Stories;

namespace TttCluster.Rendering;

/// <summary>The one place a parsed story becomes a render request, and a model decides what a story may hold.</summary>
public static class StoryRequests
{
    /// <summary>Scenes a story may have: about 96 seconds of video for the shipped model.</summary>
    public const int MaxScenes = 32;

    public static StoryLimits LimitsFor(ModelBundle model) =>
        new(MaxScenes, model.TextEncoder.TokensPerSegment, model.TextEncoder.CountTokens);

    /// <summary>
    /// Scenes, seed and sampler settings; the story's own values unless overridden, the model's defaults
    /// (<see cref="ModelBundle.SamplerDefaults"/>) where the story says nothing. A story without a seed renders with seed 0.
    /// </summary>
    public static RenderRequest ToRequest(Story story, ModelBundle model, ulong? seedOverride = null, int? stepsOverride = null)
    {
        var defaults = model.SamplerDefaults;
        return new RenderRequest(story.Scenes.Select(s => new SceneText(s.Text, s.NegativeText)).ToArray(),
            seedOverride ?? story.Seed ?? 0,
            new SamplerSettings(stepsOverride ?? story.Settings.Steps ?? defaults.Steps,
                story.Settings.Guidance ?? defaults.Guidance,
                story.Settings.GuidancePower ?? defaults.GuidancePower));
    }
}
