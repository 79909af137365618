using System.Text.Json.Serialization;

namespace Tracking.Api.SdkSettings;

/// <summary>
/// What RudderStack's v3 SDKs fetch from <c>{configUrl}/sourceConfig/</c> before they send anything. The SDK accepts
/// it only with a <c>source</c> that has an <c>id</c>, a <c>config</c> object and a <c>destinations</c> array; events
/// then go to the <c>dataPlaneUrl</c> the page configured. No destinations: the API is the only one.
/// </summary>
internal sealed record RudderSourceConfig(
    [property: JsonPropertyName("isHosted")] bool IsHosted,
    [property: JsonPropertyName("source")] RudderSource Source);

/// <summary>The source the write key maps to.</summary>
internal sealed record RudderSource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("config")] EmptyObject Config,
    [property: JsonPropertyName("destinations")] IReadOnlyList<EmptyObject> Destinations);
