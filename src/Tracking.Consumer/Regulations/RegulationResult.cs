using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tracking.Consumer.Regulations;

/// <summary>A deletion as run and recorded in <c>regulations</c>.</summary>
/// <param name="Id">The regulation's id (its row in <c>regulations</c>).</param>
/// <param name="Action">Always <c>delete</c>.</param>
/// <param name="IdKind"><c>userId</c> or <c>anonymousId</c>.</param>
/// <param name="Subject">The id whose data was deleted.</param>
/// <param name="RequestedBy">Who asked, as the request said.</param>
/// <param name="RequestedAt">When the consumer received the request.</param>
/// <param name="FinishedAt">When it committed (or failed).</param>
/// <param name="Outcome"><c>completed</c>, or <c>failed</c> (nothing was deleted; run it again).</param>
/// <param name="EventsDeleted">Rows removed from <c>events</c>.</param>
/// <param name="DeadLettersDeleted">Rows removed from <c>dead_letters</c> (with their payloads kept on S3, for Redshift).</param>
/// <param name="Error">Why it failed, for a failed one.</param>
internal sealed record RegulationResult(
    Guid Id,
    string Action,
    string IdKind,
    string Subject,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset FinishedAt,
    string Outcome,
    long EventsDeleted,
    long DeadLettersDeleted,
    string? Error);

/// <summary>The regulations recorded, newest first.</summary>
/// <param name="Regulations">At most the last 100.</param>
internal sealed record RegulationList(IReadOnlyList<RegulationResult> Regulations);

/// <summary>The regulation endpoints' request and answers; an unknown field is refused, so a misspelt id never deletes something else.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(RegulationRequest))]
[JsonSerializable(typeof(RegulationResult))]
[JsonSerializable(typeof(RegulationList))]
internal sealed partial class RegulationJsonContext : JsonSerializerContext;
