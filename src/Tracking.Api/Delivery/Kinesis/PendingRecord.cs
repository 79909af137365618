using System.Text;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>One event on its way to a shard, with what the limits and the routing need computed once.</summary>
internal sealed class PendingRecord
{
    public PendingRecord(EnrichedEvent enriched, PendingBatch batch)
    {
        Event = enriched;
        Batch = batch;
        Size = enriched.Json.Length + Encoding.UTF8.GetByteCount(enriched.PartitionKey);
        HashKey = ShardMap.HashKey(enriched.PartitionKey);
    }

    public EnrichedEvent Event { get; }

    public PendingBatch Batch { get; }

    /// <summary>Data plus UTF-8 partition key: what counts against the 1 MiB record and 5 MiB request limits.</summary>
    public int Size { get; }

    public UInt128 HashKey { get; }

    /// <summary>Puts this record was part of and not written by; above zero, its eventual write counts as recovered.</summary>
    public int FailedAttempts { get; set; }
}
