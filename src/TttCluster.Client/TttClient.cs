using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace TttCluster.Client;

/// <summary>
/// The farm's API for a pipeline tool: submit stories, follow them, fetch their videos. Every call carries the API key;
/// every failure is a <see cref="TttApiException"/> (or one of its kinds) holding the farm's problem details.
/// </summary>
public sealed class TttClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How long <see cref="WatchAsync"/> waits before it connects again after the stream dropped.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    private readonly HttpClient _http;

    /// <param name="baseUri">The farm, e.g. http://127.0.0.1:8080.</param>
    /// <param name="handler">How requests go out (tests, proxies); null: the default.</param>
    public TttClient(Uri baseUri, string apiKey, HttpMessageHandler? handler = null)
    {
        if (string.IsNullOrWhiteSpace(apiKey)) throw new ArgumentException("an API key is needed (the farm's --keys file, or DIR/api-keys)", nameof(apiKey));
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = new Uri(baseUri.ToString().TrimEnd('/') + "/");
        _http.Timeout = Timeout.InfiniteTimeSpan;   // event streams last as long as a story; each call takes a token instead
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    /// <summary>Submits a story document (YAML or JSON); returns it as stored, queued.</summary>
    public async Task<StoryInfo> SubmitAsync(string story, int? priority = null, CancellationToken cancel = default)
    {
        string contentType = story.TrimStart().StartsWith('{') ? "application/json" : "application/yaml";
        using var content = new StringContent(story, Encoding.UTF8, contentType);
        using var response = await _http.PostAsync("v1/stories" + (priority is { } p ? $"?priority={p}" : ""), content, cancel);
        return await ReadAsync<StoryInfo>(response, cancel);
    }

    public async Task<StoryInfo> GetAsync(string id, CancellationToken cancel = default)
    {
        using var response = await _http.GetAsync($"v1/stories/{Uri.EscapeDataString(id)}", cancel);
        return await ReadAsync<StoryInfo>(response, cancel);
    }

    public async Task<StoryPage> ListAsync(int offset = 0, int limit = 20, CancellationToken cancel = default)
    {
        using var response = await _http.GetAsync($"v1/stories?offset={offset}&limit={limit}", cancel);
        return await ReadAsync<StoryPage>(response, cancel);
    }

    public async Task<StoryInfo> CancelAsync(string id, CancellationToken cancel = default)
    {
        using var response = await _http.PostAsync($"v1/stories/{Uri.EscapeDataString(id)}/cancel", null, cancel);
        return await ReadAsync<StoryInfo>(response, cancel);
    }

    /// <summary>Writes the finished story's MP4 to <paramref name="destination"/>.</summary>
    public async Task DownloadVideoAsync(string id, Stream destination, CancellationToken cancel = default)
    {
        using var response = await _http.GetAsync($"v1/stories/{Uri.EscapeDataString(id)}/video", HttpCompletionOption.ResponseHeadersRead, cancel);
        if (!response.IsSuccessStatusCode) throw await ProblemAsync(response, cancel);
        await response.Content.CopyToAsync(destination, cancel);
    }

    /// <summary>
    /// The story's updates as they happen, from its state now until it ends. A dropped connection is taken up again with
    /// the last event seen, so nothing the farm still keeps is missed; a farm that restarted sends the story's state anew.
    /// </summary>
    public async IAsyncEnumerable<StoryUpdate> WatchAsync(string id, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        string? lastEventId = null;
        bool answered = false;   // whether the farm has answered this watch once
        while (true)
        {
            var updates = new List<StoryUpdate>();
            bool ended = false;
            HttpResponseMessage? response = null;
            try
            {
                var request = new HttpRequestMessage(HttpMethod.Get, $"v1/stories/{Uri.EscapeDataString(id)}/events");
                if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            }
            catch (HttpRequestException) when (answered && !cancel.IsCancellationRequested)
            {
                // The farm answered before and is not answering now (restarting?): try again shortly. One that never
                // answered is more likely not there at all (a wrong address): that fails at once, as every other call
                // does, rather than wait forever without a word (`ttt watch` against a wrong --server hung).
            }
            if (response is null)
            {
                await Task.Delay(ReconnectDelay, cancel);
                continue;
            }
            using (response)
            {
                answered = true;
                if (!response.IsSuccessStatusCode) throw await ProblemAsync(response, cancel);
                var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
                var stream = ServerSentEvents.ReadAsync(reader, cancel).GetAsyncEnumerator(cancel);
                while (true)
                {
                    ServerSentEvent e;
                    try
                    {
                        if (!await stream.MoveNextAsync()) break;
                        e = stream.Current;
                    }
                    catch (Exception x) when (x is IOException or HttpRequestException && !cancel.IsCancellationRequested)
                    {
                        break;   // the connection dropped mid-stream
                    }
                    if (e.Id is not null) lastEventId = e.Id;
                    if (e.Type == "end")
                    {
                        ended = true;
                        break;
                    }
                    if (e.Type == "state") yield return new StoryUpdate(e.Id, JsonSerializer.Deserialize<StoryInfo>(e.Data, Json), null);
                    else if (e.Type == "progress") yield return new StoryUpdate(e.Id, null, JsonSerializer.Deserialize<SegmentInfo>(e.Data, Json));
                }
                await stream.DisposeAsync();
            }
            if (ended) yield break;
            await Task.Delay(ReconnectDelay, cancel);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancel)
    {
        if (!response.IsSuccessStatusCode) throw await ProblemAsync(response, cancel);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancel)
            ?? throw new TttApiException((int)response.StatusCode, "empty answer", "the farm answered with no body", default);
    }

    /// <summary>The farm's problem document as the matching exception (a body that is no problem document still gives one).</summary>
    private static async Task<TttApiException> ProblemAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        int status = (int)response.StatusCode;
        string body = await response.Content.ReadAsStringAsync(cancel);
        // Anything but a JSON object (an empty body, a proxy's HTML page) is no problem document: its start is the detail.
        JsonElement? parsed = null;
        try
        {
            if (body.Length > 0) parsed = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
        }
        bool isDocument = parsed?.ValueKind == JsonValueKind.Object;
        var problem = isDocument ? parsed!.Value : JsonDocument.Parse("{}").RootElement.Clone();
        string title = Text(problem, "title") ?? response.ReasonPhrase ?? "error";
        string? detail = isDocument ? Text(problem, "detail") : body.Length > 0 ? body[..Math.Min(body.Length, 200)] : null;
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => new StoryNotFoundException(status, title, detail, problem),
            HttpStatusCode.Unauthorized => new UnauthorizedException(status, title, detail, problem),
            HttpStatusCode.UnprocessableEntity => new InvalidStoryException(status, title, detail, problem, ProblemsIn(problem)),
            _ => new TttApiException(status, title, detail, problem),
        };
    }

    private static string? Text(JsonElement problem, string name) =>
        problem.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IReadOnlyList<StoryProblem> ProblemsIn(JsonElement problem) =>
        problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
            ? errors.Deserialize<StoryProblem[]>(Json) ?? []
            : [];

    public void Dispose() => _http.Dispose();
}
