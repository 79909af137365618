using System.Collections.Concurrent;
using System.Reflection;

namespace Tracking.Api.Admin;

/// <summary>
/// The operations pages' HTML, CSS and scripts, embedded in the assembly rather than in <c>wwwroot</c> so
/// that nothing of them is served when no admin key is set. They load nothing from anywhere else: the
/// content security policy allows this origin only.
/// </summary>
internal static class AdminAssets
{
    public const string Path = "/admin/assets";

    /// <summary>Same origin only, no inline script, no framing: the pages need nothing else.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
    };

    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static string Text(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = typeof(AdminAssets).Assembly.GetManifestResourceStream("Tracking.Api.Admin.Pages." + n)
            ?? throw new InvalidOperationException($"The embedded admin page {n} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static bool Exists(string name) =>
        ContentTypes.ContainsKey(System.IO.Path.GetExtension(name)) &&
        typeof(AdminAssets).Assembly.GetManifestResourceInfo("Tracking.Api.Admin.Pages." + name) is not null;

    public static IResult File(string name) =>
        TypedResults.Content(Text(name), ContentTypes[System.IO.Path.GetExtension(name)]);

    /// <summary>No caching (the pages show live data) and the content security policy, on every admin response.</summary>
    public static IApplicationBuilder UseAdminHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var path = http.Request.Path;
        if (path.StartsWithSegments("/admin") || path.StartsWithSegments("/status") || path.StartsWithSegments("/debugger") || path == "/status.json")
        {
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            http.Response.Headers.XContentTypeOptions = "nosniff";
        }

        return next(http);
    });

    public static IEndpointRouteBuilder MapAdminAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path + "/{name}", (string name) => Exists(name) ? File(name) : TypedResults.NotFound()).ExcludeFromDescription();
        return app;
    }
}
