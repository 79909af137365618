using Microsoft.Net.Http.Headers;
using Tracking.Api.Documentation;
using Tracking.Api.Health;
using Tracking.Api.Limits;
using Tracking.ServiceDefaults;

namespace Tracking.Api;

/// <summary>What every request meets: problem details for errors (the service defaults), forwarded headers, decompression, CORS, static files, docs.</summary>
internal static class Hosting
{
    public static WebApplicationBuilder AddTrackingDefaults(this WebApplicationBuilder builder)
    {
        builder.Services.AddTrackingHealthChecks();
        builder.Services.AddApiDocumentation();
        return builder;
    }

    public static WebApplication UseTrackingDefaults(this WebApplication app)
    {
        app.UseServiceDefaults();
        var forwarded = app.Services.GetRequiredService<Enrichment.ForwardedHeadersWatch>();
        app.Use((http, next) =>
        {
            forwarded.Check(http);
            return next(http);
        });
        app.UseForwardedHeaders();
        app.UseRequestDecompression();
        app.UseCors();
        app.UseLimits();
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // ETag and Last-Modified come with the middleware; a short max-age lets a new tracker.js spread within minutes.
            OnPrepareResponse = context => context.Context.Response.Headers[HeaderNames.CacheControl] = "public, max-age=300",
        });
        app.MapGet("/", () => TypedResults.Redirect("/demo/")).ExcludeFromDescription();
        return app;
    }
}
