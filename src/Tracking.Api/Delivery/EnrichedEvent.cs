namespace Tracking.Api.Delivery;

/// <summary>
/// An accepted event ready for a sink: its enriched JSON (one line, no trailing newline),
/// its deduplication key, the key that keeps one user's or device's events together and, once
/// queued, its position in the queue (what a sink's acknowledgement names).
/// </summary>
internal readonly record struct EnrichedEvent(byte[] Json, string MessageId, string PartitionKey, long Position = 0)
{
    public int SizeBytes => Json.Length;

    /// <summary>The bytes of the first <paramref name="count"/> events (all of them by default).</summary>
    public static long SizeOf(IReadOnlyList<EnrichedEvent> events, int count = -1)
    {
        long bytes = 0;
        for (var i = 0; i < (count < 0 ? events.Count : count); i++)
        {
            bytes += events[i].SizeBytes;
        }

        return bytes;
    }
}
