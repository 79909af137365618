using Tracking.Aws.Kinesis;

namespace Tracking.Consumer.Shards;

/// <summary>One GetRecords answer handed from the read loop to the load loop.</summary>
internal sealed record ReadChunk(IReadOnlyList<KinesisRecord> Records, bool ShardEnded)
{
    public long Bytes { get; } = Records.Sum(r => (long)r.Data.Length);
}
