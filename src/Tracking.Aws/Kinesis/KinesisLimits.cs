namespace Tracking.Aws.Kinesis;

/// <summary>
/// Kinesis Data Streams service limits the pipeline is designed around, as stated in the Kinesis Data
/// Streams API Reference (per operation) and the developer guide's "Quotas and limits" page.
/// </summary>
public static class KinesisLimits
{
    /// <summary>Stream names: 1 to 128 characters.</summary>
    public const int MaxStreamNameLength = 128;

    /// <summary>Whether <paramref name="name"/> is a Kinesis stream name: 1 to 128 ASCII letters, digits, '_', '.' or '-'.</summary>
    public static bool IsStreamName(string name) =>
        name.Length is >= 1 and <= MaxStreamNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>PutRecords: each request supports up to 500 records.</summary>
    public const int MaxRecordsPerPutRecords = 500;

    /// <summary>PutRecords: up to 5 MiB for the entire request, including partition keys (measured before base64).</summary>
    public const int MaxPutRecordsRequestBytes = 5 * 1024 * 1024;

    /// <summary>PutRecords: each record can be as large as 1 MiB, a limit that applies to the partition key and data blob together.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    /// <summary>PutRecordsRequestEntry.PartitionKey: at least 1 character.</summary>
    public const int MinPartitionKeyLength = 1;

    /// <summary>PutRecordsRequestEntry.PartitionKey: Unicode string of at most 256 characters.</summary>
    public const int MaxPartitionKeyLength = 256;

    /// <summary>GetRecords: at most 10,000 records per call, which is also the largest accepted <c>Limit</c>.</summary>
    public const int MaxRecordsPerGetRecords = 10_000;

    /// <summary>GetRecords: at most 10 MiB of data per call.</summary>
    public const int MaxGetRecordsResponseBytes = 10 * 1024 * 1024;

    /// <summary>ListShards: <c>MaxResults</c> is between 1 and 10,000.</summary>
    public const int MaxListShardsResults = 10_000;

    /// <summary>Shard write quota: 1,000 records per second per shard.</summary>
    public const int MaxShardWriteRecordsPerSecond = 1_000;

    /// <summary>Shard write quota: 1 MiB per second per shard.</summary>
    public const int MaxShardWriteBytesPerSecond = 1024 * 1024;

    /// <summary>Shard read quota: 5 GetRecords calls per second per shard.</summary>
    public const int MaxGetRecordsCallsPerShardPerSecond = 5;

    /// <summary>GetShardIterator: an iterator expires 5 minutes after it is returned.</summary>
    public static readonly TimeSpan ShardIteratorLifetime = TimeSpan.FromMinutes(5);
}
