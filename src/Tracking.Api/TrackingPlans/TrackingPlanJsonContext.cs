using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tracking.Api.TrackingPlans;

/// <summary>Source-generated serialization of what the tracking plans read and write.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(QuarantineSelection))]
[JsonSerializable(typeof(QuarantineOutcome))]
[JsonSerializable(typeof(QuarantineListing))]
internal sealed partial class TrackingPlanJsonContext : JsonSerializerContext;
