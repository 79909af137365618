using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tracking.Consumer.Redrive;

/// <summary>The re-drive endpoint's request and answer; an unknown field in a request is refused, not ignored, so a
/// misspelt filter never re-drives everything.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(RedriveRequest))]
[JsonSerializable(typeof(RedriveResult))]
internal sealed partial class RedriveJsonContext : JsonSerializerContext;
