using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TttCluster.Runtime.Transport;

/// <summary>
/// A silo's HTTP surface: a health check and the directory a coordinator pushes (key → grain address). Grain calls
/// themselves go over <see cref="GrainSocketServer"/>. A malformed directory gets 400 with the reason.
/// </summary>
public static class GrainEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RoutedGrainFactory router)
    {
        app.MapGet("/health", () => Results.Text("ok"));
        app.MapPost("/directory", async (HttpContext context) =>
        {
            try
            {
                var values = BinaryCodec.Deserialize(await ReadBody(context), [typeof(IReadOnlyList<string>), typeof(IReadOnlyList<string>)]);
                var keys = (IReadOnlyList<string>?)values[0] ?? [];
                var urls = (IReadOnlyList<string>?)values[1] ?? [];
                if (keys.Count != urls.Count) return Results.BadRequest($"directory: {keys.Count} keys but {urls.Count} silo addresses");
                // Validate everything before changing any route.
                var routes = keys.Select((k, i) => (Key: k ?? throw new FormatException($"key {i} is null"),
                    Silo: new Uri(urls[i] ?? throw new FormatException($"address {i} is null"), UriKind.Absolute))).ToArray();
                foreach (var (key, silo) in routes) router.Route(key, silo);
                return Results.Ok();
            }
            catch (Exception e) when (e is FormatException or UriFormatException or ArgumentException)
            {
                return Results.BadRequest($"directory: {e.Message}");
            }
        });
    }

    /// <summary>Largest directory body a silo accepts; checked before allocating.</summary>
    public const long MaxBodyBytes = 64L << 20;

    private static async Task<byte[]> ReadBody(HttpContext context)
    {
        if (context.Request.ContentLength is long declared && declared > MaxBodyBytes)
            throw new FormatException($"a body of {declared} bytes is over the {MaxBodyBytes}-byte limit");
        if (context.Request.ContentLength is long length)
        {
            var body = new byte[length];
            await context.Request.Body.ReadExactlyAsync(body, context.RequestAborted);
            return body;
        }
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        return buffer.ToArray();
    }
}
