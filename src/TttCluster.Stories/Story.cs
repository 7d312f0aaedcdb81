namespace TttCluster.Stories;

/// <summary>
/// A storyboard: one <see cref="Scene"/> per 3-second video segment, in order. Built only by <see cref="StoryParser"/>,
/// so every instance has passed the <see cref="StoryLimits"/> it was parsed with.
/// </summary>
/// <param name="Title">What the video is called, trimmed, 1..<see cref="StoryLimits.MaxTitleLength"/> characters, one line.
/// Free text from an untrusted file: sanitise it before using it in a file name or a shell.</param>
/// <param name="Seed">The noise seed; the same story with the same seed renders the same video. Null: the renderer picks one.</param>
/// <param name="Settings">Sampler settings; each null field means the model's default.</param>
/// <param name="Scenes">At least one scene, at most <see cref="StoryLimits.MaxScenes"/>.</param>
public sealed record Story(string Title, ulong? Seed, StorySettings Settings, IReadOnlyList<Scene> Scenes);
