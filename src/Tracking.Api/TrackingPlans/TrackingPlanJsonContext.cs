using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tracking.Api.TrackingPlans;

/// <summary>Source-generated serialization of what the tracking plans read and write.</summary>
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class TrackingPlanJsonContext : JsonSerializerContext;
