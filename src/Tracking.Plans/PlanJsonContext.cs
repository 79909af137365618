using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tracking.Plans;

/// <summary>Source-generated serialization of a plan document's nodes (its schemas, handed on as JSON elements).</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(JsonNode))]
public sealed partial class PlanJsonContext : JsonSerializerContext;
