using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using TttCluster.Abstractions;
using TttCluster.Model;
using TttCluster.Rendering;
using TttCluster.Storage;
using TttCluster.Stories;

namespace TttCluster.Gateway;

/// <summary>
/// The farm's HTTP API under /v1. Every call needs "Authorization: Bearer KEY"; a tenant sees only its own stories, and
/// another tenant's story answers exactly as a missing one does (404). Errors are RFC 9457 problem details.
/// </summary>
public static partial class StoryApi
{
    /// <summary>Stories per page when the caller does not say, and at most.</summary>
    public const int DefaultPageSize = 20, MaxPageSize = 100;

    private const string TenantItem = "ttt.tenant";

    /// <summary>Story ids the farm makes: "s_" and 16 hex digits. Anything else is no story (and never reaches storage).</summary>
    [GeneratedRegex("^s_[0-9a-f]{16}$")]
    private static partial Regex StoryId();

    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok")).ExcludeFromDescription();
        app.MapGet("/readyz", (StoryScheduler scheduler) => scheduler.Ready
            ? Results.Text("ready")
            : Results.Problem(statusCode: 503, title: "not ready", detail: "the farm is starting: the silo is joining or the queue is being recovered")).ExcludeFromDescription();

        var v1 = app.MapGroup("/v1").AddEndpointFilter(RequireTenant);
        v1.MapPost("/stories", Submit).Accepts<string>("application/yaml", "application/json", "text/yaml", "text/plain");
        v1.MapGet("/stories", List);
        v1.MapGet("/stories/{id}", Get);
        v1.MapPost("/stories/{id}/cancel", Cancel);
        v1.MapGet("/stories/{id}/events", Events);
        v1.MapGet("/silos", Silos);
        v1.MapGet("/farm", Farm);
        v1.MapGet("/stories/{id}/preview", Preview);
        foreach (var (path, blobOf, contentType) in StoryFiles)
            v1.MapGet($"/stories/{{id}}/{path}", (string id, HttpContext http, IGrainFactory grains, IBlobStore blobs, CancellationToken cancel) =>
                Download(id, http, grains, blobs, blobOf(id), contentType, cancel));
    }

    /// <summary>A finished story's files: the path under /v1/stories/{id}, the blob that holds it, its content type.</summary>
    private static readonly (string Path, Func<string, string> Blob, string ContentType)[] StoryFiles =
    [
        ("video", StoryScheduler.VideoBlob, "video/mp4"),
        ("contact-sheet", StoryScheduler.ContactSheetBlob, "image/png"),
        ("latents", StoryScheduler.LatentsBlob, "application/octet-stream"),
    ];

    private static async ValueTask<object?> RequireTenant(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        string? tenant = http.RequestServices.GetRequiredService<ApiKeys>().TenantOf(http.Request.Headers.Authorization);
        if (tenant is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(statusCode: 401, title: "unauthorized",
                detail: http.Request.Headers.Authorization.Count == 0 ? "this call needs the header \"Authorization: Bearer KEY\"" : "the API key is not valid");
        }
        http.Items[TenantItem] = tenant;
        return await next(context);
    }

    private static string TenantOf(HttpContext http) => (string)http.Items[TenantItem]!;

    private static async Task<IResult> Submit(HttpContext http, IGrainFactory grains, ModelBundle model, StoryScheduler scheduler, CancellationToken cancel)
    {
        string tenant = TenantOf(http);
        string? contentType = http.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (contentType is not ("application/yaml" or "application/x-yaml" or "text/yaml" or "application/json" or "text/plain"))
            return Results.Problem(statusCode: 415, title: "unsupported content type",
                detail: $"the body must be a story as application/yaml, text/yaml, application/json or text/plain; found {(contentType is null ? "no content type" : BlobNames.Show(contentType))}");
        int priority = 0;
        if (http.Request.Query.TryGetValue("priority", out var priorityText)
            && (!int.TryParse(priorityText, out priority) || priority is < -10 or > 10))
            return Results.Problem(statusCode: 400, title: "invalid priority", detail: $"priority: expected a whole number from -10 to 10; found {BlobNames.Show(priorityText.ToString())}");

        byte[] body;
        try
        {
            body = await ReadBodyAsync(http.Request, FarmSettings.MaxStoryBytes, cancel);
        }
        catch (Exception e) when (e is BodyTooLargeException or BadHttpRequestException { StatusCode: 413 })
        {
            return Results.Problem(statusCode: 413, title: "story too large", detail: $"a story may be at most {FarmSettings.MaxStoryBytes} bytes");
        }
        Story story;
        try
        {
            story = StoryParser.Parse(body, "story", StoryRequests.LimitsFor(model));
        }
        catch (StoryValidationException e)
        {
            return Results.Problem(statusCode: 422, title: "invalid story",
                detail: $"the story has {e.Errors.Count + e.OmittedErrorCount} problem(s); the first: {e.Errors[0]}",
                extensions: new Dictionary<string, object?>
                {
                    ["errors"] = e.Errors.Select(x => new { line = x.Line, column = x.Column, field = x.Field, expected = x.Expected, found = x.Found, message = x.ToString() }).ToArray(),
                    ["omittedErrors"] = e.OmittedErrorCount,
                });
        }
        var request = StoryRequests.ToRequest(story, model);

        // Durable before the answer: the record first, then the queue entry, then the tenant's list (a crash in between
        // leaves at worst a story that renders without being listed, never one listed as queued that nothing renders).
        string id = "s_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        var queue = grains.GetGrain<IQueueGrain>("farm");
        var record = new StoryRecord(id, tenant, System.Text.Encoding.UTF8.GetString(body), priority, StoryStates.Queued, 0,
            request.Sampler.Steps, request.Scenes.Count, DateTimeOffset.UtcNow, null, null, null);
        record = await grains.GetGrain<IStoryRecordGrain>(id).CreateAsync(record, cancel);
        await queue.EnqueueAsync(id, tenant, priority, cancel);
        await grains.GetGrain<ITenantGrain>(tenant).AddStoryAsync(id, cancel);
        scheduler.Wake();
        return Results.Created($"/v1/stories/{id}", StoryView.Of(record, []));
    }

    private static async Task<IResult> List(HttpContext http, IGrainFactory grains, int? offset, int? limit, CancellationToken cancel)
    {
        if (offset is < 0) return Results.Problem(statusCode: 400, title: "invalid offset", detail: $"offset: expected 0 or more; found {offset}");
        if (limit is < 1 or > MaxPageSize) return Results.Problem(statusCode: 400, title: "invalid limit", detail: $"limit: expected 1 to {MaxPageSize}; found {limit}");
        var (ids, total) = await grains.GetGrain<ITenantGrain>(TenantOf(http)).ListAsync(offset ?? 0, limit ?? DefaultPageSize, cancel);
        var records = await Task.WhenAll(ids.Select(id => grains.GetGrain<IStoryRecordGrain>(id).GetAsync(cancel)));
        return Results.Ok(new { total, offset = offset ?? 0, stories = records.OfType<StoryRecord>().Select(r => StoryView.Of(r, [])).ToArray() });
    }

    private static async Task<IResult> Get(string id, HttpContext http, IGrainFactory grains, CancellationToken cancel)
    {
        var record = await RecordOf(id, http, grains, cancel);
        if (record is null) return NoSuchStory(id);
        // Where each segment is: the live record of the render (kept in memory by the story's grain), while it renders.
        var segments = StoryStates.IsFinal(record.State) ? [] : await grains.GetGrain<IStoryGrain>(id).GetSegmentsAsync(cancel);
        return Results.Ok(StoryView.Of(record, segments));
    }

    private static async Task<IResult> Cancel(string id, HttpContext http, IGrainFactory grains, StoryScheduler scheduler, CancellationToken cancel)
    {
        var record = await RecordOf(id, http, grains, cancel);
        if (record is null) return NoSuchStory(id);
        if (StoryStates.IsFinal(record.State))
            return Results.Problem(statusCode: 409, title: "story already ended", detail: $"story {id} is {record.State}: there is nothing to cancel");
        // Waiting: it leaves the queue now. Rendering here: the render stops and the scheduler records it cancelled.
        if (await grains.GetGrain<IQueueGrain>("farm").RemoveAsync(id, cancel) | scheduler.Cancel(id))
            record = await scheduler.SetStateAsync(id, StoryStates.Cancelled, record.StepsDone, null);
        return Results.Ok(StoryView.Of(record, []));
    }

    /// <summary>
    /// The farm's silos: name, address, status, capacity, segments held, and which of the caller's stories each works on
    /// (other tenants' stories are counted in the segments but never named).
    /// </summary>
    private static async Task<IResult> Silos(HttpContext http, IGrainFactory grains, FarmSilos silos, CancellationToken cancel)
    {
        string tenant = TenantOf(http);
        var views = await silos.ListAsync(cancel);
        var storyIds = views.SelectMany(v => v.Stories ?? []).Distinct().ToArray();
        var records = await Task.WhenAll(storyIds.Select(id => grains.GetGrain<IStoryRecordGrain>(id).GetAsync(cancel)));
        var own = records.Where(r => r?.Tenant == tenant).Select(r => r!.Id).ToHashSet();
        return Results.Ok(new { silos = views.Select(v => v with { Stories = v.Stories?.Where(own.Contains).ToArray() }).ToArray() });
    }

    /// <summary>What the dashboard needs to know about the farm: the model, whether it makes previews, how many silos.</summary>
    private static IResult Farm(ModelBundle model, FarmSettings settings, StoryPreviews previews, IClusterMembershipService membership) =>
        Results.Ok(new FarmView(ModelName(model), previews.Enabled,
            membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active), settings.ConcurrentStories));

    private static string ModelName(ModelBundle model) =>
        model.Config.Layers == ModelConfig.Tiny().Layers && model.Config.Width == ModelConfig.Tiny().Width ? "tiny"
            : $"{model.Config.Layers} layers × {model.Config.Width} wide";

    /// <summary>
    /// A rendering story's latents after its last finished step, decoded: one tile per segment, side by side (tile k at
    /// x = k × X-Preview-Tile-Width). X-Preview-Step says how many steps the image shows.
    /// </summary>
    private static async Task<IResult> Preview(string id, HttpContext http, IGrainFactory grains, StoryPreviews previews, CancellationToken cancel)
    {
        if (!previews.Enabled)
            return Results.Problem(statusCode: 404, title: "previews off", detail: "this farm makes no previews (ttt serve --previews on turns them on)");
        var record = await RecordOf(id, http, grains, cancel);
        if (record is null) return NoSuchStory(id);
        var preview = record.State == StoryStates.Rendering ? await previews.LatestAsync(id, record.Segments, cancel) : null;
        if (preview is null)
            return Results.Problem(statusCode: 409, title: "no preview", detail: $"story {id} is {record.State}: previews exist while it renders");
        http.Response.Headers["X-Preview-Step"] = preview.Step.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["X-Preview-Tile-Width"] = preview.TileWidth.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";
        return Results.File(preview.Png, "image/png");
    }

    /// <summary>How often an idle events stream sends a comment line, so that proxies keep it open and a gone story is noticed.</summary>
    private static readonly TimeSpan EventsHeartbeat = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Server-sent events: the story's view now ("state"), then every event as it happens ("progress": a segment's step,
    /// layer, phase and silo; "state" on every change), ending after the final state. A client that lost the connection
    /// sends the last id it saw (Last-Event-ID) and gets what it missed, as far as the farm still keeps it.
    /// </summary>
    private static async Task Events(string id, HttpContext http, IGrainFactory grains, StoryEvents events, CancellationToken cancel)
    {
        var record = await RecordOf(id, http, grains, cancel);
        if (record is null)
        {
            await NoSuchStory(id).ExecuteAsync(http);
            return;
        }
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        string? lastEventId = http.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? http.Request.Query["lastEventId"].FirstOrDefault();
        var json = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        async Task Send(string? eventId, string type, object data)
        {
            string text = (eventId is null ? "" : $"id: {eventId}\n") + $"event: {type}\ndata: {System.Text.Json.JsonSerializer.Serialize(data, json)}\n\n";
            await response.WriteAsync(text, cancel);
            await response.Body.FlushAsync(cancel);
        }
        // Watch first, then look at the record: whatever happens in between is in the stream.
        await using var stream = events.WatchAsync(id, lastEventId, cancel).GetAsyncEnumerator(cancel);
        var segments = StoryStates.IsFinal(record.State) ? [] : await grains.GetGrain<IStoryGrain>(id).GetSegmentsAsync(cancel);
        await Send(null, "state", StoryView.Of(record, segments));
        bool ended = StoryStates.IsFinal(record.State);
        // A client that lost its connection before the story ended and comes back after it gets what it missed, as far
        // as it is kept: without this it got only the final state, and every event between its last and the end was lost
        // (ClientTests.Watch_ResumedAfterTheStoryEnded_StillGetsEveryEventItMissed).
        if (ended)
            foreach (var e in events.KeptAfter(id, lastEventId))
                await Send(e.Id, e.Type, e.Data);
        var next = stream.MoveNextAsync().AsTask();
        while (!ended)
        {
            if (await Task.WhenAny(next, Task.Delay(EventsHeartbeat, cancel)) == next)
            {
                if (!await next) break;                       // the story ended: its stream is complete
                var e = stream.Current;
                await Send(e.Id, e.Type, e.Data);
                next = stream.MoveNextAsync().AsTask();
                continue;
            }
            // Quiet for a while: a heartbeat, and a look at the record (a farm restarted since may have finished it).
            await response.WriteAsync(": heartbeat\n\n", cancel);
            await response.Body.FlushAsync(cancel);
            var now = await grains.GetGrain<IStoryRecordGrain>(id).GetAsync(cancel);
            if (now is not null && StoryStates.IsFinal(now.State))
            {
                await Send(null, "state", StoryView.Of(now, []));
                ended = true;
            }
        }
        await Send(null, "end", new { id });
    }

    private static async Task<IResult> Download(string id, HttpContext http, IGrainFactory grains, IBlobStore blobs, string blob, string contentType,
        CancellationToken cancel)
    {
        var record = await RecordOf(id, http, grains, cancel);
        if (record is null) return NoSuchStory(id);
        if (record.State != StoryStates.Done)
            return Results.Problem(statusCode: 409, title: "not rendered yet", detail: $"story {id} is {record.State}; its files are there once it is done");
        var stream = await blobs.OpenReadAsync(blob, cancel);
        if (stream is null) return Results.Problem(statusCode: 404, title: "file missing", detail: $"story {id} is done but its file {blob} is gone");
        // A range that starts past the end is answered as a problem (ASP.NET would send an empty 416 typed as the file).
        if (Microsoft.Net.Http.Headers.RangeHeaderValue.TryParse(http.Request.Headers.Range.ToString(), out var range)
            && range.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase)
            && range.Ranges.All(r => r.From is { } from && from >= stream.Length))
        {
            long length = stream.Length;
            await stream.DisposeAsync();
            http.Response.Headers.ContentRange = $"bytes */{length}";
            return Results.Problem(statusCode: 416, title: "range not satisfiable", detail: $"the file is {length} bytes; the range asked for starts past its end");
        }
        return Results.Stream(stream, contentType, fileDownloadName: blob[(blob.LastIndexOf('/') + 1)..], enableRangeProcessing: true);
    }

    /// <summary>The caller's story of this id, or null: no such id, an id the farm never makes, or another tenant's story.</summary>
    private static async Task<StoryRecord?> RecordOf(string id, HttpContext http, IGrainFactory grains, CancellationToken cancel)
    {
        if (!StoryId().IsMatch(id)) return null;
        var record = await grains.GetGrain<IStoryRecordGrain>(id).GetAsync(cancel);
        return record is not null && record.Tenant == TenantOf(http) ? record : null;
    }

    private static IResult NoSuchStory(string id) =>
        Results.Problem(statusCode: 404, title: "no such story", detail: $"there is no story {BlobNames.Show(id)} for this API key");

    private sealed class BodyTooLargeException : Exception;

    /// <summary>Reads at most <paramref name="limit"/> bytes; more is refused before it is all read.</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancel)
    {
        if (request.ContentLength > limit) throw new BodyTooLargeException();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > limit) throw new BodyTooLargeException();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

/// <summary>A story as the API shows it.</summary>
/// <param name="StepTimes">When each finished step was recorded (index: step − 1).</param>
public sealed record StoryView(string Id, string State, int Priority, int StepsDone, int Steps, int Segments, DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, DateTimeOffset[] StepTimes, SegmentView[] SegmentProgress)
{
    public static StoryView Of(StoryRecord r, SegmentProgress[] segments) => new(r.Id, r.State, r.Priority, r.StepsDone, r.Steps, r.Segments,
        r.SubmittedAt, r.StartedAt, r.FinishedAt, r.Error, r.StepTimes ?? [],
        segments.Select(s => new SegmentView(s.Segment, s.Step, s.Layer, s.Phase, s.Silo)).ToArray());
}

/// <summary>The farm as the dashboard sees it.</summary>
/// <param name="Previews">Whether the farm makes per-step previews (GET /v1/stories/{id}/preview).</param>
/// <param name="Silos">Active silos now.</param>
public sealed record FarmView(string Model, bool Previews, int Silos, int ConcurrentStories);

/// <summary>Where one segment is: its step, layer, phase and silo.</summary>
public sealed record SegmentView(int Segment, int Step, int Layer, string Phase, string Silo);
