namespace Tracking.Api.Delivery;

/// <summary>
/// An accepted event ready for a sink: its enriched JSON (one line, no trailing newline),
/// its deduplication key and the key that keeps one user's or device's events together.
/// </summary>
internal readonly record struct EnrichedEvent(byte[] Json, string MessageId, string PartitionKey)
{
    public int SizeBytes => Json.Length;
}
