using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Tracking.Api.Ingestion;

namespace Tracking.Api.SdkSettings;

/// <summary>
/// What Segment's and RudderStack's SDKs fetch before they send anything, served per write key so the SDKs work by
/// their host alone: Segment's source settings, RudderStack's source config, and analytics.js 2.0's standalone bundle
/// for Segment's stock snippet. Readable from any page origin the API accepts events from, cacheable (ETag, a short
/// max-age), and holding nothing but what the SDK needs.
/// </summary>
internal static class SdkSettingsApi
{
    public const string Tag = "SDK settings";

    /// <summary>How long browsers and CDNs may keep a settings document: a changed key or address spreads within a minute.</summary>
    internal const string SettingsCacheControl = "public, max-age=60";

    /// <summary>For a document built from the request's own host, or for a key sent in <c>Authorization</c>: a
    /// browser may keep it, a shared cache may not (it could hand one client's answer to another).</summary>
    internal const string PrivateSettingsCacheControl = "private, max-age=60";

    /// <summary>Chunks carry a content hash in their names: they never change.</summary>
    private const string ChunkCacheControl = "public, max-age=31536000, immutable";

    private const string JavaScript = "text/javascript; charset=utf-8";

    public static IEndpointRouteBuilder MapSdkSettingsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("")
            .WithTags(Tag)
            .RequireCors(CorsSetup.SettingsPolicyName)
            .AddEndpointFilter(app.ServiceProvider.GetRequiredService<ClientAddressFilter>());

        group.MapGet("/v1/projects/{writeKey}/settings", Segment)
            .WithName("SegmentSettings")
            .WithSummary("Segment's source settings for analytics.js 2.0 and Segment's mobile SDKs")
            .WithDescription("What analytics.js 2.0 fetches from {cdnURL}/v1/projects/{writeKey}/settings (and analytics-kotlin or analytics-swift from https://{cdnHost}/projects/{writeKey}/settings with cdnHost 'your-host/v1'): the Segment.io destination pointed back at this API, and nothing else. 404 for an unknown write key.")
            .Produces<SegmentSettings>(contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapGet("/sourceConfig", Rudder)
            .WithName("RudderStackSourceConfig")
            .WithSummary("RudderStack's source config for its v3 SDKs")
            .WithDescription("What RudderStack's SDKs fetch from {configUrl}/sourceConfig/?writeKey=… (or with the write key as the Basic-auth user): the source the key maps to, with no destinations. 404 for an unknown or missing write key.")
            .Produces<RudderSourceConfig>(contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapGet("/analytics.js/v1/{writeKey}/analytics.min.js", Standalone)
            .WithName("SegmentSnippetScript")
            .WithSummary("analytics.js 2.0 for Segment's stock snippet")
            .WithDescription("The standalone build of the pinned @segment/analytics-next package, at the path Segment's snippet loads it from: with 'cdn.segment.com' replaced by this API's host in the snippet, analytics.js takes its settings and chunks from here. 404 for an unknown write key, or when the build had no npm to install the package.")
            .Produces(StatusCodes.Status200OK, contentType: "text/javascript")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/analytics-next/bundles/{file}", Chunk)
            .WithName("SegmentSnippetChunk")
            .WithSummary("The chunks analytics.js 2.0 loads on demand")
            .Produces(StatusCodes.Status200OK, contentType: "text/javascript")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    internal static Results<FileContentHttpResult, ProblemHttpResult> Segment(string writeKey, HttpContext http, WriteKeys writeKeys, PublicAddress address)
    {
        if (writeKeys.SourceOf(writeKey) is null)
        {
            return UnknownWriteKey();
        }

        var baseUrl = address.BaseUrl(http.Request);
        var apiHost = PublicAddress.HostAndPath(baseUrl, "/v1");
        var https = baseUrl.Scheme == Uri.UriSchemeHttps;
        var settings = new SegmentSettings(
            new SegmentIntegrations(new SegmentIo(writeKey, apiHost, baseUrl.Scheme, [], AddBundledMetadata: true, EmptyObject.Instance)),
            new SegmentPlan(Allow(), Allow(), Allow()),
            EmptyObject.Instance,
            AnalyticsNextEnabled: true,
            EmptyObject.Instance,
            EmptyObject.Instance,
            // analytics.js sends its own metrics over https whatever the page's protocol, so over plain http they
            // could only fail: off there, one report in ten otherwise (Segment's own rate).
            new SegmentMetrics(https ? 0.1 : 0, apiHost, FlushTimer: 30_000),
            LegacyVideoPluginsEnabled: false,
            [],
            new SegmentConsentSettings([], HasUnmappedDestinations: false));
        return Json(http, JsonSerializer.SerializeToUtf8Bytes(settings, SdkSettingsJsonContext.Default.SegmentSettings), shared: address.IsConfigured);
    }

    internal static Results<FileContentHttpResult, ProblemHttpResult> Rudder(HttpContext http, WriteKeys writeKeys)
    {
        var inQuery = http.Request.Query["writeKey"].ToString() is { Length: > 0 };
        var writeKey = inQuery
            ? http.Request.Query["writeKey"].ToString()
            : WriteKeys.FromAuthorizationHeader(http.Request.Headers.Authorization);
        if (writeKeys.SourceOf(writeKey) is not { } source)
        {
            return UnknownWriteKey();
        }

        var config = new RudderSourceConfig(IsHosted: false, new RudderSource(SourceId(source), source, Enabled: true, EmptyObject.Instance, []));
        return Json(http, JsonSerializer.SerializeToUtf8Bytes(config, SdkSettingsJsonContext.Default.RudderSourceConfig), shared: inQuery);
    }

    internal static Results<PhysicalFileHttpResult, ProblemHttpResult> Standalone(string writeKey, HttpContext http, WriteKeys writeKeys, SegmentBundle bundle)
    {
        if (writeKeys.SourceOf(writeKey) is null)
        {
            return UnknownWriteKey();
        }

        if (!bundle.IsInstalled)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "analytics.js is not installed",
                detail: "This API was built without npm, so it has no copy of @segment/analytics-next to serve. Build it where npm reaches its registry (the Docker image does), or load analytics.js your own way with cdnURL set to this API.");
        }

        return File(http, bundle.PathOf(SegmentBundle.StandaloneFile)!, SettingsCacheControl);
    }

    internal static Results<PhysicalFileHttpResult, ProblemHttpResult> Chunk(string file, HttpContext http, SegmentBundle bundle) =>
        bundle.PathOf(file) is { } path
            ? File(http, path, ChunkCacheControl)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such file", detail: "The analytics.js 2.0 this API serves has no chunk of that name.");

    /// <summary>A stable id for a source that says nothing about its write key.</summary>
    internal static string SourceId(string source) =>
        "src_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..24];

    private static SegmentPlanRules Allow() => new(new SegmentPlanRule(Enabled: true));

    private static ProblemHttpResult UnknownWriteKey() =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Unknown write key",
            detail: "No source has this write key (Tracking:WriteKeys), so there are no settings for it.");

    /// <summary>The document, with an ETag; <paramref name="shared"/> when every client asking the same URL gets the
    /// same answer, so a CDN may keep it; otherwise a browser may, and the answer varies by what it was built from.</summary>
    private static FileContentHttpResult Json(HttpContext http, byte[] body, bool shared)
    {
        http.Response.Headers.CacheControl = shared ? SettingsCacheControl : PrivateSettingsCacheControl;
        if (!shared)
        {
            http.Response.Headers.Vary = "Host, Authorization";
        }

        var tag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}\"");
        return TypedResults.Bytes(body, "application/json", entityTag: tag);
    }

    private static PhysicalFileHttpResult File(HttpContext http, string path, string cacheControl)
    {
        http.Response.Headers.CacheControl = cacheControl;
        var info = new FileInfo(path);
        var tag = new EntityTagHeaderValue($"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}\"");
        return TypedResults.PhysicalFile(path, JavaScript, lastModified: info.LastWriteTimeUtc, entityTag: tag);
    }
}
