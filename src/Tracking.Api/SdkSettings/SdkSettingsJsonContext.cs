using System.Text.Json.Serialization;

namespace Tracking.Api.SdkSettings;

[JsonSerializable(typeof(SegmentSettings))]
[JsonSerializable(typeof(RudderSourceConfig))]
internal sealed partial class SdkSettingsJsonContext : JsonSerializerContext;
