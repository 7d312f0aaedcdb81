namespace TttCluster.Stories;

/// <summary>Sampler settings a story may override. Null means "the model's default", which the renderer decides.</summary>
/// <param name="Steps">Denoising steps, e.g. 50; 1..<see cref="StoryLimits.MaxSteps"/>.</param>
/// <param name="Guidance">Classifier-free guidance scale, e.g. 6.0; within [<see cref="StoryLimits.MinGuidance"/>, <see cref="StoryLimits.MaxGuidance"/>].</param>
/// <param name="GuidancePower">Exponent of the dynamic guidance schedule, e.g. 5.0; within
/// [<see cref="StoryLimits.MinGuidancePower"/>, <see cref="StoryLimits.MaxGuidancePower"/>].</param>
public sealed record StorySettings(int? Steps = null, double? Guidance = null, double? GuidancePower = null)
{
    /// <summary>No overrides: every setting is the model's default.</summary>
    public static StorySettings Defaults { get; } = new();
}
