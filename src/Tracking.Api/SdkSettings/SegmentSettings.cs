using System.Text.Json.Serialization;

namespace Tracking.Api.SdkSettings;

/// <summary>
/// The source settings Segment's SDKs fetch before they send anything (analytics.js 2.0 from
/// <c>{cdnURL}/v1/projects/{writeKey}/settings</c>, analytics-kotlin and analytics-swift from
/// <c>https://{cdnHost}/projects/{writeKey}/settings</c>). Only the members the SDKs read, with neutral values: the
/// one destination is <c>Segment.io</c>, pointed back at this API; no device-mode destinations, remote plugins or
/// middleware; a tracking plan that allows everything.
/// </summary>
internal sealed record SegmentSettings(
    [property: JsonPropertyName("integrations")] SegmentIntegrations Integrations,
    [property: JsonPropertyName("plan")] SegmentPlan Plan,
    [property: JsonPropertyName("edgeFunction")] EmptyObject EdgeFunction,
    [property: JsonPropertyName("analyticsNextEnabled")] bool AnalyticsNextEnabled,
    [property: JsonPropertyName("middlewareSettings")] EmptyObject MiddlewareSettings,
    [property: JsonPropertyName("enabledMiddleware")] EmptyObject EnabledMiddleware,
    [property: JsonPropertyName("metrics")] SegmentMetrics Metrics,
    [property: JsonPropertyName("legacyVideoPluginsEnabled")] bool LegacyVideoPluginsEnabled,
    [property: JsonPropertyName("remotePlugins")] IReadOnlyList<EmptyObject> RemotePlugins,
    [property: JsonPropertyName("consentSettings")] SegmentConsentSettings ConsentSettings);

/// <summary>The destinations: only <c>Segment.io</c>, the SDK's own delivery to the API.</summary>
internal sealed record SegmentIntegrations([property: JsonPropertyName("Segment.io")] SegmentIo SegmentIo);

/// <summary>Where the SDK posts: <c>{protocol}://{apiHost}/t</c>, <c>/b</c>, …</summary>
internal sealed record SegmentIo(
    [property: JsonPropertyName("apiKey")] string ApiKey,
    [property: JsonPropertyName("apiHost")] string ApiHost,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("unbundledIntegrations")] IReadOnlyList<string> UnbundledIntegrations,
    [property: JsonPropertyName("addBundledMetadata")] bool AddBundledMetadata,
    [property: JsonPropertyName("maybeBundledConfigIds")] EmptyObject MaybeBundledConfigIds);

/// <summary>A plan that lets every event through to every destination.</summary>
internal sealed record SegmentPlan(
    [property: JsonPropertyName("track")] SegmentPlanRules Track,
    [property: JsonPropertyName("identify")] SegmentPlanRules Identify,
    [property: JsonPropertyName("group")] SegmentPlanRules Group);

/// <summary>The default rule of a plan section.</summary>
internal sealed record SegmentPlanRules([property: JsonPropertyName("__default")] SegmentPlanRule Default);

/// <summary>One plan rule.</summary>
internal sealed record SegmentPlanRule([property: JsonPropertyName("enabled")] bool Enabled);

/// <summary>analytics.js's reports about itself: posted to <c>{host}/m</c>, which the API counts and never stores.</summary>
internal sealed record SegmentMetrics(
    [property: JsonPropertyName("sampleRate")] double SampleRate,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("flushTimer")] int FlushTimer);

/// <summary>No consent categories: the SDK sends everything, as a source without consent management does.</summary>
internal sealed record SegmentConsentSettings(
    [property: JsonPropertyName("allCategories")] IReadOnlyList<string> AllCategories,
    [property: JsonPropertyName("hasUnmappedDestinations")] bool HasUnmappedDestinations);

/// <summary><c>{}</c>.</summary>
internal sealed record EmptyObject
{
    public static readonly EmptyObject Instance = new();
}
