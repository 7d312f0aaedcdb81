using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using TttCluster.Model;

namespace TttCluster.Gateway.Tests;

/// <summary>
/// A real farm for a test: `ttt serve`'s server (HTTP on a free loopback port, an Orleans silo, the data in a fresh
/// folder) with two tenants, "studio-a" and "studio-b", and HTTP clients holding their keys.
/// </summary>
internal sealed class Farm : IAsyncDisposable
{
    public const string KeyA = "key-of-studio-a-0123456789", KeyB = "key-of-studio-b-9876543210";

    public static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors");
    private static readonly Lazy<ModelBundle> s_model = new(() => ModelBundle.Load(ModelPath));
    public static ModelBundle Model => s_model.Value;

    private readonly WebApplication _app;
    public IServiceProvider Services => _app.Services;
    public string DataDirectory { get; }
    public Uri BaseAddress { get; }
    public HttpClient TenantA { get; }
    public HttpClient TenantB { get; }
    public HttpClient Anonymous { get; }

    private Farm(WebApplication app, string data, Uri baseAddress)
    {
        _app = app;
        DataDirectory = data;
        BaseAddress = baseAddress;
        TenantA = Client(KeyA);
        TenantB = Client(KeyB);
        Anonymous = Client(null);
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>
    /// Starts a farm on <paramref name="data"/> (a new folder when null), with <paramref name="siloProcesses"/> ttt-silo
    /// processes (the test project must reference TttCluster.Silo, so that ttt-silo.dll is beside it).
    /// </summary>
    public static async Task<Farm> StartAsync(string? data = null, int concurrentStories = 2, int siloProcesses = 0)
    {
        data ??= Directory.CreateTempSubdirectory("ttt-farm-test-").FullName;
        string keys = Path.Combine(data, "test-keys");
        await File.WriteAllTextAsync(keys, $"# two studios\nstudio-a {KeyA}\nstudio-b {KeyB}\n");
        var settings = new FarmSettings(IPAddress.Loopback, 0, data, keys, concurrentStories, SiloProcesses: siloProcesses, ModelPath: ModelPath);
        var app = FarmServer.Build(settings, Model, ApiKeys.Load(keys, settings.GeneratedKeysFile), LogLevel.None);
        await app.StartAsync();
        return new Farm(app, data, new Uri(app.Urls.First() + "/"));
    }

    /// <summary>
    /// Starts a farm on a new folder with studio-a and studio-b and <paramref name="moreTenants"/> besides (a test of
    /// many tenants at once).
    /// </summary>
    public static async Task<Farm> StartWithTenantsAsync(IEnumerable<(string Tenant, string Key)> moreTenants, int concurrentStories = 2)
    {
        string data = Directory.CreateTempSubdirectory("ttt-farm-test-").FullName;
        string keys = Path.Combine(data, "test-keys");
        await File.WriteAllTextAsync(keys, $"studio-a {KeyA}\nstudio-b {KeyB}\n" + string.Concat(moreTenants.Select(t => $"{t.Tenant} {t.Key}\n")));
        var settings = new FarmSettings(IPAddress.Loopback, 0, data, keys, concurrentStories);
        var app = FarmServer.Build(settings, Model, ApiKeys.Load(keys, settings.GeneratedKeysFile), LogLevel.None);
        await app.StartAsync();
        return new Farm(app, data, new Uri(app.Urls.First() + "/"));
    }

    /// <summary>Submits a story document; returns the response (the caller checks it).</summary>
    public static Task<HttpResponseMessage> SubmitAsync(HttpClient client, string story, string contentType = "application/yaml", string query = "") =>
        client.PostAsync("v1/stories" + query, new StringContent(story, Encoding.UTF8, contentType));

    /// <summary>Submits and returns the new story's id (the submission must succeed).</summary>
    public static async Task<string> SubmitOkAsync(HttpClient client, string story, string query = "")
    {
        var response = await SubmitAsync(client, story, query: query);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"submission answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> GetStoryAsync(HttpClient client, string id) =>
        (await client.GetFromJsonAsync<JsonElement>($"v1/stories/{id}"));

    /// <summary>Waits until the story reaches a final state (or <paramref name="patience"/> runs out) and returns it.</summary>
    public static async Task<JsonElement> WaitForEndAsync(HttpClient client, string id, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            var story = await GetStoryAsync(client, id);
            string state = story.GetProperty("state").GetString()!;
            if (state is "done" or "failed" or "cancelled") return story;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"story {id} is still {state} ({story})");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        TenantA.Dispose();
        TenantB.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Stops the farm and deletes its data folder.</summary>
    public async Task DisposeAndDeleteAsync()
    {
        await DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
