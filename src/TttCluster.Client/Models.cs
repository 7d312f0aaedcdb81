using System.Text.Json;

namespace TttCluster.Client;

/// <summary>A story on the farm, as the API shows it.</summary>
/// <param name="State">queued, rendering, encoding, done, failed or cancelled.</param>
/// <param name="SegmentProgress">Where each segment is while the story renders (empty otherwise).</param>
/// <param name="StepTimes">When each finished step was recorded (index: step − 1).</param>
public sealed record StoryInfo(string Id, string State, int Priority, int StepsDone, int Steps, int Segments, DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, IReadOnlyList<SegmentInfo> SegmentProgress,
    IReadOnlyList<DateTimeOffset>? StepTimes = null)
{
    /// <summary>Done, failed or cancelled: nothing more will happen to it.</summary>
    public bool IsFinal => State is "done" or "failed" or "cancelled";
}

/// <summary>Where one segment is: its step, layer, phase and silo. Segment −1: the story as a whole (a step done, a silo failure).</summary>
public sealed record SegmentInfo(int Segment, int Step, int Layer, string Phase, string Silo);

/// <summary>A page of a tenant's stories, newest first.</summary>
public sealed record StoryPage(int Total, int Offset, IReadOnlyList<StoryInfo> Stories);

/// <summary>
/// Something that happened to a watched story: its state changed (<see cref="Story"/> set) or a segment moved
/// (<see cref="Progress"/> set).
/// </summary>
public sealed record StoryUpdate(string? EventId, StoryInfo? Story, SegmentInfo? Progress);

/// <summary>One problem of a story the farm refused, with where it is.</summary>
public sealed record StoryProblem(int? Line, int? Column, string Field, string Expected, string Found, string Message);

/// <summary>
/// The farm answered with an error (an RFC 9457 problem): its status, title and detail, and the whole problem document.
/// </summary>
public class TttApiException(int status, string title, string? detail, JsonElement problem)
    : Exception($"{status} {title}" + (detail is null ? "" : $": {detail}"))
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public JsonElement Problem { get; } = problem;
}

/// <summary>No story of this id for this API key (missing, or another tenant's: the farm does not say which).</summary>
public sealed class StoryNotFoundException(int status, string title, string? detail, JsonElement problem) : TttApiException(status, title, detail, problem);

/// <summary>The API key is missing or not valid.</summary>
public sealed class UnauthorizedException(int status, string title, string? detail, JsonElement problem) : TttApiException(status, title, detail, problem);

/// <summary>The story was refused: every problem with its line and column.</summary>
public sealed class InvalidStoryException(int status, string title, string? detail, JsonElement problem, IReadOnlyList<StoryProblem> problems)
    : TttApiException(status, title, detail, problem)
{
    public IReadOnlyList<StoryProblem> Problems { get; } = problems;
}
