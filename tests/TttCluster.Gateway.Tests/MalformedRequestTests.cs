using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TttCluster.Gateway.Tests;

/// <summary>
/// A battery of malformed requests against one real farm: every one must be refused with a 4xx RFC 9457 problem (never
/// a 5xx, never a 2xx), and the farm must still render afterwards. All failures are collected, so one run shows them all.
/// </summary>
public class MalformedRequestTests(ITestOutputHelper output)
{
    private const string AuthA = "Bearer " + Farm.KeyA, AuthB = "Bearer " + Farm.KeyB;

    /// <summary>Malformed: a 4xx problem (exactly <see cref="Case.Status"/> when given). Probe: a request HTTP says is not
    /// malformed (an invalid Range header is ignored, RFC 9110 14.2), so only "no 5xx" is checked; probes are not counted.
    /// KestrelOwn: malformed, but Kestrel itself refuses it (a NUL in the decoded path) before any middleware runs, so the
    /// app cannot make the answer a problem: the status is asserted, an empty body is listed as a finding, not a failure.</summary>
    private enum Expect { Malformed, Probe, KestrelOwn }

    /// <summary>One request and what it must answer. Raw: sent over a plain socket (see <see cref="SendRawAsync"/>).</summary>
    private sealed record Case(string Name, Func<HttpRequestMessage> Request, int? Status = null, Expect Kind = Expect.Malformed, string? Title = null,
        bool Raw = false);

    private sealed record Answer(int Status, string? MediaType, string Body, string WwwAuthenticate);

    private Uri _root = null!;

    /// <summary>A request to exactly this path: no dot-segment removal or unescaping by System.Uri ("..", "%2e%2e" go out as written).</summary>
    private HttpRequestMessage Req(string method, string path, string? auth = AuthA, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(_root + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true })) { Content = content };
        if (auth is not null) request.Headers.TryAddWithoutValidation("Authorization", auth);
        return request;
    }

    private static HttpContent Body(byte[] bytes, string? contentType = "application/yaml", bool chunked = false, int piece = 8192)
    {
        HttpContent content = chunked ? new ChunkedContent(bytes, piece) : new ByteArrayContent(bytes);
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private HttpRequestMessage Submit(byte[] body, string? contentType = "application/yaml", string query = "", string? auth = AuthA, bool chunked = false,
        int piece = 8192) => Req("POST", "v1/stories" + query, auth, Body(body, contentType, chunked, piece));

    /// <summary>A body of unknown length: sent with "Transfer-Encoding: chunked", no Content-Length, one chunk per <paramref name="piece"/> bytes.</summary>
    private sealed class ChunkedContent(byte[] bytes, int piece) : HttpContent
    {
        public int Piece => piece;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (int at = 0; at < bytes.Length; at += piece) await stream.WriteAsync(bytes.AsMemory(at, Math.Min(piece, bytes.Length - at)));
        }

        protected override bool TryComputeLength(out long length) { length = 0; return false; }
    }

    private static HttpRequestMessage With(HttpRequestMessage request, string header, string value)
    {
        request.Headers.TryAddWithoutValidation(header, value);
        return request;
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TttCluster.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no TttCluster.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public async Task MalformedRequests_AreRefusedWith4xxProblems_AndTheFarmStillRenders()
    {
        string root = RepoRoot();
        string yaml = await File.ReadAllTextAsync(Path.Combine(root, "examples", "kitchen-chase.yaml"));
        string json = await File.ReadAllTextAsync(Path.Combine(root, "examples", "kitchen-chase.json"));
        var farm = await Farm.StartAsync();
        _root = farm.BaseAddress;
        try
        {
            using var client = farm.Client(null);
            string idA = await Farm.SubmitOkAsync(farm.TenantA, yaml);
            // What a well-formed id that never existed answers: another tenant's story must look exactly like it.
            var missing = await SendAsync(client, Req("GET", "v1/stories/s_0123456789abcdef"));
            Assert.Equal(404, missing.Status);
            string missingTitle = JsonDocument.Parse(missing.Body).RootElement.GetProperty("title").GetString()!;

            var failures = new List<string>();
            var findings = new List<string>();
            int malformed = 0, probes = 0;
            async Task RunAsync(IEnumerable<Case> cases)
            {
                foreach (var c in cases)
                {
                    using var request = c.Request();
                    string sent = Describe(request);
                    string? problem;
                    Answer? answer = null;
                    try
                    {
                        answer = c.Raw ? await SendRawAsync(request) : await SendAsync(client, request);
                        problem = Judge(c, answer);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException or SocketException or TimeoutException or TaskCanceledException)
                    {
                        problem = $"no answer ({e.GetType().Name}: {e.Message})";
                    }
                    if (c.Kind == Expect.Probe) probes++; else malformed++;
                    bool kestrelOwn = c.Kind == Expect.KestrelOwn && problem == NotAProblem && answer is { MediaType: null, Body: "" };
                    if (problem is not null)
                        (kestrelOwn ? findings : failures).Add($"[{c.Name}] {sent} -> {problem}; got {(answer is null ? "nothing" : $"{answer.Status} {answer.MediaType ?? "(no content type)"} {Cut(answer.Body, 300)}")}");
                }
            }

            await RunAsync(BodyCases(yaml, json).Concat(IdCases(missingTitle)).Concat(AuthCases(yaml, idA)).Concat(OtherCases(yaml, idA, missingTitle)));

            // The ranges and the other tenant's downloads need studio-a's story finished (its files exist).
            var endA = await Farm.WaitForEndAsync(farm.TenantA, idA);
            if (endA.GetProperty("state").GetString() != "done") failures.Add($"studio-a's story ended {endA} (studio-b's requests must not touch it)");
            await RunAsync(FinishedCases(idA, missingTitle));

            output.WriteLine($"{malformed} malformed requests sent, {probes} probes (must only not 5xx), {failures.Count} failure(s), {findings.Count} finding(s)");
            foreach (string failure in failures) output.WriteLine("FAIL " + failure);
            foreach (string finding in findings) output.WriteLine("FINDING (Kestrel's own empty answer) " + finding);

            // After all that, the farm still renders a story end to end.
            string idB = await Farm.SubmitOkAsync(farm.TenantB, yaml);
            var endB = await Farm.WaitForEndAsync(farm.TenantB, idB);
            Assert.Equal("done", endB.GetProperty("state").GetString());
            byte[] mp4 = await farm.TenantB.GetByteArrayAsync($"v1/stories/{idB}/video");
            Assert.True(mp4.Length > 8 && Encoding.ASCII.GetString(mp4, 4, 4) == "ftyp", "the video after the battery is not an MP4");

            Assert.True(malformed >= 200, $"only {malformed} malformed requests were sent");
            Assert.True(failures.Count == 0, $"{failures.Count} of {malformed + probes} requests were answered wrongly:\n" + string.Join("\n", failures));
        }
        finally
        {
            await farm.DisposeAndDeleteAsync();
        }
    }

    private static async Task<Answer> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        return new((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers.WwwAuthenticate.ToString());
    }

    private const string NotAProblem = "not an application/problem+json body";

    /// <summary>
    /// Sends the request over a plain socket, reading the answer while the body is written; a write that fails because the
    /// server answered early and closed is ignored. HttpClient reports such an early answer (a 413 before the body is read)
    /// as an error while sending, so the size cases go this way to see what the server really answers.
    /// </summary>
    private static async Task<Answer> SendRawAsync(HttpRequestMessage r)
    {
        byte[] body = r.Content is null ? [] : await r.Content.ReadAsByteArrayAsync();
        int piece = r.Content is ChunkedContent chunked ? chunked.Piece : 0;
        var head = new StringBuilder($"{r.Method} {r.RequestUri!.PathAndQuery} HTTP/1.1\r\nHost: {r.RequestUri.Authority}\r\nConnection: close\r\n");
        foreach (var (name, values) in r.Content is null ? r.Headers : r.Headers.Concat(r.Content.Headers))
            if (name != "Content-Length") head.Append($"{name}: {string.Join(",", values)}\r\n");
        head.Append(piece > 0 ? "Transfer-Encoding: chunked\r\n\r\n" : $"Content-Length: {body.Length}\r\n\r\n");
        byte[] wire = [.. Encoding.ASCII.GetBytes(head.ToString()), .. piece == 0 ? body
            : [.. body.Chunk(piece).SelectMany<byte[], byte>(p => [.. Encoding.ASCII.GetBytes($"{p.Length:x}\r\n"), .. p, 13, 10]), .. "0\r\n\r\n"u8]];
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(r.RequestUri.Host, r.RequestUri.Port);
        var stream = tcp.GetStream();
        var answer = new MemoryStream();
        var reading = stream.CopyToAsync(answer).ContinueWith(_ => { });           // a reset after the answer: what came is kept
        try { await stream.WriteAsync(wire); }
        catch (IOException) { }                                                     // answered and closed before all was sent
        await reading.WaitAsync(TimeSpan.FromSeconds(30));
        byte[] data = answer.ToArray();
        int end = data.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0) throw new IOException($"no HTTP answer ({data.Length} bytes came back)");
        string[] lines = Encoding.ASCII.GetString(data, 0, end).Split("\r\n");
        string Header(string name) => lines.Skip(1).Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(l => l[(name.Length + 1)..].Trim()).FirstOrDefault() ?? "";
        var payload = new MemoryStream();
        if (Header("Transfer-Encoding") != "chunked") payload.Write(data, end + 4, data.Length - end - 4);
        else
            for (int at = end + 4, eol, size; at < data.Length && (eol = Array.IndexOf(data, (byte)'\n', at)) > 0 && (size = Convert.ToInt32(Encoding.ASCII.GetString(data, at, eol - at).Trim(), 16)) > 0; at = eol + 1 + size + 2)
                payload.Write(data, eol + 1, Math.Min(size, data.Length - eol - 1));
        string type = Header("Content-Type");
        return new(int.Parse(lines[0].Split(' ')[1]), type.Length == 0 ? null : type.Split(';')[0].Trim(), Encoding.UTF8.GetString(payload.ToArray()), Header("WWW-Authenticate"));
    }

    /// <summary>What is wrong with the answer to a case, or null when it is right.</summary>
    private static string? Judge(Case c, Answer a)
    {
        if (a.Status >= 500) return "a server error";
        if (c.Kind == Expect.Probe) return null;
        if (a.Status < 400) return "not refused";
        if (c.Status is int expected && a.Status != expected) return $"expected {expected}";
        if (a.MediaType != "application/problem+json") return NotAProblem;
        JsonElement problem;
        try { problem = JsonDocument.Parse(a.Body).RootElement; }
        catch (JsonException) { return "a problem body that is not JSON"; }
        if (problem.ValueKind != JsonValueKind.Object || !problem.TryGetProperty("status", out var status)
            || status.ValueKind != JsonValueKind.Number || status.GetInt32() != a.Status) return "the problem's \"status\" is not the HTTP status";
        if (!problem.TryGetProperty("title", out var title) || title.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(title.GetString()))
            return "the problem has no \"title\"";
        if (c.Title is not null && title.GetString() != c.Title) return $"title \"{title.GetString()}\", but a missing story's is \"{c.Title}\"";
        if (a.Status == 401 && !a.WwwAuthenticate.StartsWith("Bearer", StringComparison.Ordinal)) return "a 401 without \"WWW-Authenticate: Bearer\"";
        return null;
    }

    private static string Describe(HttpRequestMessage r)
    {
        var text = new StringBuilder($"{r.Method} {Cut(r.RequestUri!.PathAndQuery, 120)}");
        text.Append(r.Headers.TryGetValues("Authorization", out var auth) ? $" Authorization: {Cut(string.Join(",", auth), 60)}" : " (no Authorization)");
        foreach (var (name, value) in r.Headers.Where(h => h.Key is "Range" or "Expect").Select(h => (h.Key, string.Join(",", h.Value)))) text.Append($" {name}: {value}");
        if (r.Content is not null)
        {
            text.Append(r.Content.Headers.TryGetValues("Content-Type", out var type) ? $" Content-Type: {string.Join(",", type)}" : " (no Content-Type)");
            text.Append(r.Content is ChunkedContent c ? $" chunked ({c.Piece}-byte chunks)" : $" Content-Length: {r.Content.Headers.ContentLength}");
        }
        return text.ToString();
    }

    private static string Cut(string text, int most) => text.Length <= most ? text : text[..most] + $"... ({text.Length} chars)";

    /// <summary>POST /v1/stories with bodies that are not a valid story: syntax, encoding, structure, wrong fields, size, type.</summary>
    private IEnumerable<Case> BodyCases(string yaml, string json)
    {
        Case Story(string name, byte[] body, string? type = "application/yaml", int? status = 422, bool chunked = false, int piece = 8192, bool raw = false) =>
            new(name, () => Submit(body, type, chunked: chunked, piece: piece), status, Raw: raw);
        const string Valid = "title: T\nscenes:\n  - text: Tom chases Jerry.\n";

        // YAML and JSON syntax, encoding and document structure: each one a 422 "invalid story" from the parser.
        string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" +
            string.Concat(Enumerable.Range(1, 9).Select(k => $"{(char)('a' + k)}: &{(char)('a' + k)} [{string.Join(",", Enumerable.Repeat($"*{(char)('a' + k - 1)}", 9))}]\n"));
        var syntax = new (string Name, string Text)[]
        {
            ("empty body", ""), ("only whitespace", " \n\t\r\n  "), ("only comments", "# nothing\n# here\n"), ("empty document", "---\n...\n"),
            ("unclosed double quote", "title: \"Kitchen chase\nscenes:\n  - text: a\n"), ("unclosed single quote", "title: 'Kitchen chase\nscenes:\n  - text: a\n"),
            ("tab indentation", "title: T\nscenes:\n\t- text: a\n"), ("bad indentation", "title: T\n  scenes:\n- text: a\n"),
            ("inconsistent indentation", "title: T\nscenes:\n  - text: a\n   negative_text: b\n"), ("duplicate top-level key", Valid + "title: again\n"),
            ("duplicate scene key", "title: T\nscenes:\n  - text: a\n    text: b\n"), ("unclosed flow list", "title: T\nscenes: [ {text: a}\n"),
            ("second document", Valid + "---\n" + Valid), ("no colon", "title T\nscenes\n"), ("top level is a list", "- title: T\n"),
            ("top level is a scalar", "just some words"), ("top level is a number", "42"), ("top level is null", "~"), ("key: value: other", "title: a: b\nscenes: []\n"),
            ("YAML bomb (billion laughs)", bomb), ("alias without anchor", "title: *a\nscenes: []\n"), ("anchor on a scene", "title: T\nscenes:\n  - &s {text: a}\n  - *s\n"),
            ("tag", "title: !!str T\nscenes:\n  - text: a\n"), ("custom tag", "title: !evil T\nscenes:\n  - text: a\n"),
            ("flow mapping read as JSON", "{title: T, scenes: [{text: a}]}"), ("NUL byte", "title: T\0\nscenes:\n  - text: a\n"),
            ("escaped NUL in text", "title: T\nscenes:\n  - text: \"nul\\0\"\n"), ("escaped bell in text", "title: T\nscenes:\n  - text: \"\\a\"\n"),
            ("lone surrogate escape", "title: T\nscenes:\n  - text: \"\\ud800\"\n"), ("title of 200000 chars", "title: " + new string('x', 200_000) + "\nscenes:\n  - text: a\n"),
            ("flow nesting 5000 deep", "title: T\nscenes: " + new string('[', 5000) + new string(']', 5000) + "\n"), ("100000 open brackets", new string('[', 100_000)),
            ("block nesting 100 deep", string.Concat(Enumerable.Range(0, 100).Select(k => new string(' ', 2 * k) + "a:\n")) + new string(' ', 200) + "b\n"),
            ("120001 nodes", "title: T\nscenes: [" + string.Concat(Enumerable.Repeat("1,", 120_000)) + "1]\n"),
            ("20000 unknown keys", Valid + string.Concat(Enumerable.Range(0, 20_000).Select(k => $"k{k}: 1\n"))),
            ("JSON nesting 5000 deep", string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000)),
            ("JSON trailing comma in object", "{\"title\":\"T\",\"scenes\":[{\"text\":\"a\"}],}"), ("JSON trailing comma in list", "{\"title\":\"T\",\"scenes\":[{\"text\":\"a\"},]}"),
            ("JSON trailing comma in scene", "{\"title\":\"T\",\"scenes\":[{\"text\":\"a\",}]}"), ("JSON single quotes", "{'title':'T','scenes':[{'text':'a'}]}"),
            ("JSON line comment", "{\"title\":\"T\", // c\n\"scenes\":[{\"text\":\"a\"}]}"), ("JSON block comment", "{\"title\":\"T\",/* c */\"scenes\":[{\"text\":\"a\"}]}"),
            ("JSON missing colon", "{\"title\" \"T\",\"scenes\":[{\"text\":\"a\"}]}"), ("JSON missing comma", "{\"title\":\"T\" \"scenes\":[{\"text\":\"a\"}]}"),
            ("JSON two values", "{\"title\":\"T\",\"scenes\":[{\"text\":\"a\"}]}{\"title\":\"T\"}"), ("JSON garbage after", "{\"title\":\"T\",\"scenes\":[{\"text\":\"a\"}]} x"),
            ("JSON unterminated string", "{\"title\":\"T"), ("JSON NaN", "{\"title\":\"T\",\"seed\":NaN,\"scenes\":[{\"text\":\"a\"}]}"),
            ("JSON Infinity", "{\"title\":\"T\",\"settings\":{\"guidance\":Infinity},\"scenes\":[{\"text\":\"a\"}]}"), ("JSON leading zero", "{\"title\":\"T\",\"seed\":042,\"scenes\":[{\"text\":\"a\"}]}"),
            ("JSON hex number", "{\"title\":\"T\",\"seed\":0x2A,\"scenes\":[{\"text\":\"a\"}]}"), ("JSON raw newline in string", "{\"title\":\"T\nU\",\"scenes\":[{\"text\":\"a\"}]}"),
            ("JSON invalid escape", "{\"title\":\"\\x41\",\"scenes\":[{\"text\":\"a\"}]}"), ("JSON duplicate key", "{\"title\":\"A\",\"title\":\"B\",\"scenes\":[{\"text\":\"a\"}]}"),
            ("JSON empty object", "{}"), ("JSON lone brace", "{"), ("JSON top-level list", "[{\"title\":\"T\"}]"),
        };
        foreach (var (name, text) in syntax) yield return Story(name, Utf8(text));
        for (int k = 1; k <= 14; k++) yield return Story($"kitchen-chase.json truncated at {k}/15", Utf8(json[..(json.Length * k / 15)]), "application/json");
        yield return Story("Latin-1 text (invalid UTF-8)", Encoding.Latin1.GetBytes("title: Café\nscenes:\n  - text: a\n"));
        yield return Story("UTF-16 LE story labelled charset=utf-16", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(json)], "application/json; charset=utf-16");
        yield return Story("UTF-16 BE story", [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(yaml)]);
        yield return Story("every byte value", Enumerable.Range(0, 1024).Select(k => (byte)k).ToArray(), "text/plain");
        // Random garbage from a seeded Random (the same bytes every run): raw bytes, and "YAML-ish" punctuation soup.
        var random = new Random(20_250_101);
        for (int k = 0; k < 25; k++)
        {
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);
            yield return Story($"random bytes #{k} ({bytes.Length})", bytes);
        }
        const string Soup = "-:[]{}&*!|>'\"#%@`,? \n\t\\0a";
        for (int k = 0; k < 20; k++)
            yield return Story($"random YAML punctuation #{k}", Utf8(new string(Enumerable.Range(0, random.Next(1, 600)).Select(_ => Soup[random.Next(Soup.Length)]).ToArray())));

        // kitchen-chase.json with one field wrong at a time (the raw JSON of the wrong value is spliced in).
        string longText = string.Join(' ', Enumerable.Repeat("Tom chases Jerry round and round the kitchen table", 200));
        string Quoted(string s) => JsonSerializer.Serialize(s);
        string Scenes(int n) => "[" + string.Join(",", Enumerable.Repeat("{\"text\":\"Tom chases Jerry.\"}", n)) + "]";
        var fields = new (string Where, Func<JsonObject, JsonObject> Owner, string Key, string[] Values)[]
        {
            ("", s => s, "title", ["null", "\"\"", "\"   \"", "5", "true", "[]", "{}", "\"a\\tb\"", "\"line\\nbreak\"", "\"bell\\u0007\"", Quoted(new string('x', 201))]),
            ("", s => s, "seed", ["-1", "\"42\"", "1.5", "18446744073709551616", "-9223372036854775809", "true", "[]", "{}", "1e3"]),
            ("", s => s, "settings", ["5", "\"fast\"", "[]", "true"]),
            ("settings.", s => s["settings"]!.AsObject(), "steps", ["0", "100000", "201", "-5", "20.5", "20.0", "\"20\"", "true", "[20]"]),
            ("settings.", s => s["settings"]!.AsObject(), "guidance", ["-0.1", "31", "\"4\"", "true", "1e400", "{}"]),
            ("settings.", s => s["settings"]!.AsObject(), "guidance_power", ["-1", "11", "\"x\"", "[]"]),
            ("settings.", s => s["settings"]!.AsObject(), "stepz", ["20"]),
            ("", s => s, "scenes", ["7", "\"scene\"", "{}", "[]", "null", "[1, 2]", "[[]]", "[null]", Scenes(33), Scenes(100)]),
            ("scenes[0].", s => s["scenes"]![0]!.AsObject(), "text", ["\"\"", "\"   \"", "5", "null", "[]", "{}", Quoted(longText), "\"bell\\u0007\"", "\"nul\\u0000\"", "\"\\ud800\""]),
            ("scenes[0].", s => s["scenes"]![0]!.AsObject(), "negative_text", ["5", "[]", Quoted(longText), "\"\\u0001\""]),
            ("scenes[1].", s => s["scenes"]![1]!.AsObject(), "txt", ["\"a typo\""]),
            ("", s => s, "director", ["\"Hanna\""]),
            ("", s => s, "Title", ["\"x\""]),
        };
        const string Marker = "@@WRONG@@";
        foreach (var (where, owner, key, values) in fields)
            foreach (string value in values)
            {
                var story = JsonNode.Parse(json)!.AsObject();
                owner(story)[key] = Marker;
                yield return Story($"{where}{key} = {Cut(value, 40)}", Utf8(story.ToJsonString().Replace($"\"{Marker}\"", value)), "application/json");
            }
        foreach (var (name, owner, key) in new (string, Func<JsonObject, JsonObject>, string)[]
            { ("no title", s => s, "title"), ("no scenes", s => s, "scenes"), ("a scene without text", s => s["scenes"]![1]!.AsObject(), "text") })
        {
            var story = JsonNode.Parse(json)!.AsObject();
            owner(story).Remove(key);
            yield return Story($"kitchen-chase.json with {name}", Utf8(story.ToJsonString()), "application/json");
        }
        // kitchen-chase.yaml with one value wrong (YAML's own spellings: .nan, yes, tags, anchors, block scalars).
        var yamlEdits = new (string Find, string[] Replacements)[]
        {
            ("seed: 42", ["seed: -1", "seed: \"42\"", "seed: .nan", "seed: yes", "seed: 4.2", "seed: 0x", "seed: !!str 42", "seed: &s 42"]),
            ("steps: 20", ["steps: 0", "steps: 100000", "steps: 20.0", "steps: .inf", "steps: ~20"]),
            ("guidance: 4.0", ["guidance: .nan", "guidance: -.inf", "guidance: 31", "guidance: four"]),
            ("title: Kitchen chase", ["title:", "title: ~", "title: [a, b]", "title: {a: b}", "title: \"\"", "title: |\n  two\n  lines", "titel: Kitchen chase"]),
            ("negative_text: \"blurry\"", ["negative_text: 1984", "negativeText: \"blurry\"", "negative_text: [blurry]"]),
        };
        foreach (var (find, replacements) in yamlEdits)
            foreach (string replacement in replacements)
                yield return Story($"kitchen-chase.yaml with {replacement.Replace("\n", "\\n")}", Utf8(yaml.Replace(find, replacement)));

        // Too large (FarmSettings.MaxStoryBytes = 256 KiB): a valid story padded with a comment, with Content-Length and chunked,
        // over a plain socket (the server answers before it has read the body and closes; HttpClient would only see the reset).
        byte[] Padded(int size) => Utf8(yaml + "#" + new string('x', size - Utf8(yaml).Length - 2) + "\n");
        foreach (int size in new[] { FarmSettings.MaxStoryBytes + 1, 1 << 20, 4 << 20 })
            foreach (bool chunked in new[] { false, true })
                yield return Story($"{size} bytes{(chunked ? ", chunked" : "")}", Padded(size), status: 413, chunked: chunked, raw: true);
        // Not too large, only invalid (nothing but comments): the limit counts the story's bytes, however they are framed.
        byte[] comments = Utf8(string.Concat(Enumerable.Repeat("# a comment, and no story at all\n", FarmSettings.MaxStoryBytes / 32)))[..FarmSettings.MaxStoryBytes];
        yield return Story($"{comments.Length} bytes of comments", comments, raw: true);
        yield return Story($"{comments.Length} bytes of comments, chunked", comments, chunked: true, raw: true);
        yield return Story("200000 bytes of comments in 16-byte chunks", comments[..200_000], chunked: true, piece: 16, raw: true);
        yield return new("1 MiB with Expect: 100-continue", () => With(Submit(Padded(1 << 20)), "Expect", "100-continue"), 413);

        // Types the API does not take (a valid story in each, so the type is the only fault): 415.
        foreach (string? type in new[] { null, "text/html", "application/xml", "text/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
                     "image/png", "application/octet-stream", "application/jsonx", "json", "yaml", "*/*" })
            yield return Story($"content type {type ?? "none"}", Utf8(yaml), type, 415);
    }

    /// <summary>Ids that are no story: traversal-looking, malformed, well-formed but missing, huge, NUL, unicode, spaces.</summary>
    private IEnumerable<Case> IdCases(string missingTitle)
    {
        string[] wellFormedMissing = ["s_0123456789abcdef", "s_ffffffffffffffff"];
        string[] bad = ["..", "%2e%2e", ".", "%2e", "..%2f..%2fetc%2fpasswd", "..%5c..%5cwindows", "s_", "s_zzzzzzzzzzzzzzzz", "S_0123456789ABCDEF", "s_0123456789abcdef0",
            "s_0123456789abcde", "s_" + new string('a', 4998), "%00", "s_0123456789abcde%00", "s_0123456789abcdef%00", "%C3%A9t%C3%A9", "s_%E2%80%AE0123456789abcdef",
            "%F0%9F%90%AD", "%20", "s_0123%20456789abcdef", "s_0123456789abcdef%20", "s_0123456789abcdef%0a", "%ff%fe", "~", "s_0123456789abcdef;x", "%25", "%2f"];
        foreach (string id in wellFormedMissing.Concat(bad))
        {
            string? title = wellFormedMissing.Contains(id) ? missingTitle : null;
            int? status = title is null ? null : 404;
            string shown = Cut(id, 40);
            var kind = id.Contains("%00") ? Expect.KestrelOwn : Expect.Malformed;
            if (kind == Expect.KestrelOwn) status = 400;
            // "/v1/stories/." is "/v1/stories/" once dot segments are removed (RFC 3986 5.2.4; %2e is "."): the list, not malformed.
            yield return new($"GET story {shown}", () => Req("GET", $"v1/stories/{id}"), status, id is "." or "%2e" ? Expect.Probe : kind, title);
            foreach (string file in new[] { "video", "contact-sheet", "latents" })
                yield return new($"GET {file} of {shown}", () => Req("GET", $"v1/stories/{id}/{file}"), status, kind, title);
            yield return new($"POST cancel of {shown}", () => Req("POST", $"v1/stories/{id}/cancel"), status, kind, title);
        }
    }

    /// <summary>No key, wrong keys and wrong schemes on every /v1 endpoint, aimed at a real story: 401 each time.</summary>
    private IEnumerable<Case> AuthCases(string yaml, string idA)
    {
        string?[] auths = [null, "Bearer", "Bearer ", "Bearer wrong-key-000000000000000", "Basic xyz", "Basic " + Convert.ToBase64String(Utf8("studio-a:" + Farm.KeyA)),
            "Bearer " + Farm.KeyA.ToUpperInvariant(), "Bearer " + Farm.KeyA + "x", "Bearer " + Farm.KeyA + " junk", "Bearer " + Farm.KeyA[..^1], "Token " + Farm.KeyA,
            Farm.KeyA, "Bearer Bearer " + Farm.KeyA];
        var endpoints = new (string Method, string Path, bool Body)[]
        {
            ("GET", "v1/stories", false), ("POST", "v1/stories", true), ("GET", $"v1/stories/{idA}", false), ("GET", $"v1/stories/{idA}/video", false),
            ("GET", $"v1/stories/{idA}/contact-sheet", false), ("GET", $"v1/stories/{idA}/latents", false), ("POST", $"v1/stories/{idA}/cancel", false),
        };
        foreach (var (method, path, body) in endpoints)
            foreach (string? auth in auths)
                yield return new($"{method} {path} with {(auth is null ? "no key" : $"\"{Cut(auth, 30)}\"")}",
                    () => Req(method, path, auth, body ? Body(Utf8(yaml)) : null), 401);
    }

    /// <summary>Bad query values, wrong methods, the other tenant on studio-a's story (while it is queued or rendering).</summary>
    private IEnumerable<Case> OtherCases(string yaml, string idA, string missingTitle)
    {
        foreach (string priority in new[] { "abc", "11", "-11", "1e3", "", "2.5", "0x1", "%20", "99999999999", "%2B-1", "--1" })
            yield return new($"priority={priority}", () => Submit(Utf8(yaml), query: $"?priority={priority}"), 400);
        foreach (string query in new[] { "offset=-1", "offset=abc", "offset=1.5", "offset=99999999999", "limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1e1" })
            yield return new(query, () => Req("GET", $"v1/stories?{query}"), 400);
        // Wrong methods on existing routes: 405. UseStatusCodePages with AddProblemDetails gives the empty 405 of routing a
        // problem body, so it is held to the same rule as every other refusal (no exception for Kestrel's empty answers).
        foreach (var (method, path) in new[] { ("DELETE", "v1/stories"), ("PUT", "v1/stories"), ("PATCH", "v1/stories"), ("PUT", $"v1/stories/{idA}"),
                     ("DELETE", $"v1/stories/{idA}"), ("POST", $"v1/stories/{idA}"), ("GET", $"v1/stories/{idA}/cancel"), ("POST", $"v1/stories/{idA}/video") })
            yield return new($"{method} {path}", () => Req(method, path), 405);
        foreach (var c in OtherTenant(idA, missingTitle, "while queued or rendering")) yield return c;
    }

    /// <summary>Studio-b on studio-a's story: exactly what a missing story answers, never 409 or its files.</summary>
    private IEnumerable<Case> OtherTenant(string idA, string missingTitle, string when)
    {
        yield return new($"studio-b GETs studio-a's story {when}", () => Req("GET", $"v1/stories/{idA}", AuthB), 404, Title: missingTitle);
        foreach (string file in new[] { "video", "contact-sheet", "latents" })
            yield return new($"studio-b GETs studio-a's {file} {when}", () => Req("GET", $"v1/stories/{idA}/{file}", AuthB), 404, Title: missingTitle);
        yield return new($"studio-b cancels studio-a's story {when}", () => Req("POST", $"v1/stories/{idA}/cancel", AuthB), 404, Title: missingTitle);
    }

    /// <summary>On studio-a's finished story: unsatisfiable ranges (416), invalid Range syntax (ignored: probes), the other tenant again.</summary>
    private IEnumerable<Case> FinishedCases(string idA, string missingTitle)
    {
        HttpRequestMessage Ranged(string file, string range) => With(Req("GET", $"v1/stories/{idA}/{file}"), "Range", range);
        foreach (string file in new[] { "video", "contact-sheet", "latents" })
            foreach (string range in new[] { "bytes=999999999-", "bytes=999999999-1000000000" })
                yield return new($"{file} Range {range}", () => Ranged(file, range), 416);
        foreach (string range in new[] { "bytes=5-2", "bytes=abc", "pages=1-2", "bytes=-0", "bytes=", "bytes=0-0,-1,5-2,999999999-" })
            yield return new($"video Range {range}", () => Ranged("video", range), Kind: Expect.Probe);
        foreach (var c in OtherTenant(idA, missingTitle, "once done")) yield return c;
    }
}
