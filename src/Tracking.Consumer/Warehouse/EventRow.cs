namespace Tracking.Consumer.Warehouse;

/// <summary>One event as the <c>events</c> table holds it; JSON columns keep their JSON text. The record it came
/// from stays attached, so a row the database still refuses can become a dead letter byte for byte.
/// <see cref="UnparsedTimes"/> is a JSON object of the top-level time fields whose value is not a time in the form
/// the loader accepts, each kept as sent (their typed columns are NULL). <see cref="Violations"/> is the
/// event's tracking plan violations as the API recorded them, JSON text.</summary>
internal sealed record EventRow(
    string SequenceNumber,
    ReadOnlyMemory<byte> Payload,
    string MessageId,
    string? Type,
    string? Event,
    string? Name,
    string? UserId,
    string? AnonymousId,
    string? GroupId,
    string? PreviousId,
    DateTimeOffset? Timestamp,
    DateTimeOffset? OriginalTimestamp,
    DateTimeOffset? SentAt,
    DateTimeOffset? ReceivedAt,
    string? Source,
    string? Context,
    string? Properties,
    string? Traits,
    string? Integrations,
    string? UnparsedTimes = null,
    string? Violations = null);
