using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TttCluster.Abstractions;

namespace TttCluster.Runtime.Transport;

/// <summary>
/// A silo's HTTP surface: grain calls as binary frames, the directory a coordinator pushes, and a health check.
/// A malformed frame gets 400 with the reason; the silo and its other grains carry on.
/// </summary>
public static class GrainEndpoints
{
    private static readonly Dictionary<string, Type> Interfaces = typeof(IGrainWithStringKey).Assembly.GetTypes()
        .Where(t => t.IsInterface && typeof(IGrainWithStringKey).IsAssignableFrom(t) && t != typeof(IGrainWithStringKey))
        .ToDictionary(t => t.Name);

    private static readonly MethodInfo InvokeTyped = typeof(IGrainInvoker).GetMethod(nameof(IGrainInvoker.InvokeAsync))!;

    public static void Map(IEndpointRouteBuilder app, InProcessCluster local, RoutedGrainFactory router)
    {
        app.MapGet("/health", () => Results.Text("ok"));
        app.MapPost("/grains/{grain}/{method}", (string grain, string method, HttpContext context) => Call(grain, method, context, local));
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

    private static async Task<IResult> Call(string grain, string methodName, HttpContext context, InProcessCluster local)
    {
        if (!Interfaces.TryGetValue(grain, out var grainInterface))
            return Results.NotFound($"no grain interface named '{grain}'");
        var method = grainInterface.GetMethod(methodName);
        if (method is null) return Results.NotFound($"{grain} has no method '{methodName}'");
        string? key = context.Request.Query["key"];
        if (string.IsNullOrEmpty(key)) return Results.BadRequest("missing ?key=");

        var parameters = method.GetParameters();
        var wire = parameters.Where(p => p.ParameterType != typeof(CancellationToken)).ToArray();
        object?[] args = new object?[parameters.Length];
        try
        {
            var values = BinaryCodec.Deserialize(await ReadBody(context), wire.Select(p => p.ParameterType).ToArray());
            for (int i = 0; i < wire.Length; i++) args[wire[i].Position] = values[i];
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return Results.BadRequest($"{grain}.{methodName} on '{key}': malformed frame: {e.Message}");
        }
        foreach (var p in parameters.Where(p => p.ParameterType == typeof(CancellationToken))) args[p.Position] = context.RequestAborted;

        Type resultType = GrainProxy.ResultType(method);
        try
        {
            var task = (Task)InvokeTyped.MakeGenericMethod(resultType).Invoke(local, [grainInterface, key, method, args])!;
            await task;
            if (!method.ReturnType.IsGenericType) return Results.Bytes([], "application/octet-stream");
            object? result = task.GetType().GetProperty("Result")!.GetValue(task);
            return Results.Bytes(BinaryCodec.Serialize([result], [resultType]), "application/octet-stream");
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            return Results.Text($"{grain}.{methodName} on '{key}' failed: {e.GetType().Name}: {e.Message}", statusCode: 500);
        }
    }

    /// <summary>The request body in one buffer of its declared length (a 6 MB scan state is read once, not regrown).</summary>
    /// <summary>Largest body a silo accepts (a scan state of the big model is 12.7 MB); checked before allocating.</summary>
    public const long MaxBodyBytes = 1L << 30;

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
