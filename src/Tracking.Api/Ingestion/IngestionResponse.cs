using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tracking.Api.Ingestion;

/// <summary>The 200 answer: how many messages were accepted and, for batches, which were refused and why.</summary>
/// <param name="Success">Always true in a 200 answer, as Segment's API answers.</param>
/// <param name="Accepted">Messages accepted for delivery.</param>
/// <param name="Rejected">Batch messages refused for good, by index; sending them again will not help.</param>
public sealed record IngestionResponse(
    bool Success,
    int Accepted,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RejectedMessage>? Rejected);

/// <summary>A batch message that was refused.</summary>
/// <param name="Index">Its position in <c>batch</c>, from 0.</param>
/// <param name="Errors">Each failing field with its reasons.</param>
public sealed record RejectedMessage(int Index, IDictionary<string, string[]> Errors);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IngestionResponse))]
internal sealed partial class IngestionJsonContext : JsonSerializerContext;
