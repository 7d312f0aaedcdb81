namespace TttCluster.Stories;

/// <summary>One 3-second segment of the video, e.g. "Jerry rings the doorbell; Tom goes to open the door."</summary>
/// <param name="Text">The prompt of the segment, trimmed and non-empty; at most <see cref="StoryLimits.MaxTextTokens"/> tokens.</param>
/// <param name="NegativeText">What the segment should not show, e.g. "blurry"; trimmed, or null when absent or blank.</param>
public sealed record Scene(string Text, string? NegativeText = null);
