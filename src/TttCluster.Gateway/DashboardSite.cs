using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Orleans.Dashboard;

namespace TttCluster.Gateway;

/// <summary>
/// The dashboard the gateway serves at / (plain HTML, CSS and JavaScript modules, every file inside this assembly, so the
/// page needs nothing from the network), and Orleans' own dashboard for operators at /orleans.
/// </summary>
public static class DashboardSite
{
    /// <summary>Where Orleans' dashboard answers.</summary>
    public const string OrleansPath = "/orleans";

    /// <summary>
    /// Set to a folder (src/TttCluster.Gateway/wwwroot) to serve the page's files from there instead of from the assembly:
    /// an edit shows on the next reload, without a build.
    /// </summary>
    public const string FilesVariable = "TTT_DASHBOARD_DIR";

    // Only the farm's own files and API: no inline script, no other origin, never framed.
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static void Map(WebApplication app)
    {
        string? folder = Environment.GetEnvironmentVariable(FilesVariable);
        IFileProvider files = string.IsNullOrEmpty(folder)
            ? new ManifestEmbeddedFileProvider(typeof(DashboardSite).Assembly, "wwwroot")
            : new PhysicalFileProvider(Path.GetFullPath(folder));
        app.Use(OrleansDashboardOnlyFromLoopback);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                // Always asked again (a 304 when unchanged): a farm updated in place never runs yesterday's script.
                headers.CacheControl = "no-cache";
            },
        });
        app.MapOrleansDashboard(routePrefix: OrleansPath);
    }

    /// <summary>
    /// Orleans' dashboard shows every grain of every tenant (story ids included) and has no sign-in of its own, so it
    /// answers only callers on this machine; an operator elsewhere reaches it through a tunnel (ssh -L, kubectl port-forward).
    /// </summary>
    private static async Task OrleansDashboardOnlyFromLoopback(HttpContext http, Func<Task> next)
    {
        if (http.Request.Path.StartsWithSegments(OrleansPath) && http.Connection.RemoteIpAddress is { } caller && !IPAddress.IsLoopback(caller))
        {
            await Results.Problem(statusCode: 403, title: "operators only",
                detail: $"the Orleans dashboard at {OrleansPath} shows every tenant's grains and answers only on this machine; reach it through a tunnel (ssh -L or kubectl port-forward)")
                .ExecuteAsync(http);
            return;
        }
        await next();
    }
}
