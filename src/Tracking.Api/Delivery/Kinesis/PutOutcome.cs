namespace Tracking.Api.Delivery.Kinesis;

/// <summary>What one put left to do: the records to resend first, and whether the stream throttled.</summary>
internal readonly record struct PutOutcome(IReadOnlyList<PendingRecord> Failed, bool Throttled);
