using System.Text.Json.Serialization;
using Tracking.Aws.Protocol;

namespace Tracking.Aws.Kinesis;

/// <summary>Input of <c>GetRecords</c>.</summary>
public sealed class GetRecordsRequest
{
    /// <summary>The iterator from <c>GetShardIterator</c> or the previous call's <see cref="GetRecordsResponse.NextShardIterator"/>.</summary>
    public required string ShardIterator { get; init; }

    /// <summary>At most this many records, 1 to <see cref="KinesisLimits.MaxRecordsPerGetRecords"/> (the service's default).</summary>
    public int? Limit { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }
}

/// <summary>Output of <c>GetRecords</c>.</summary>
public sealed class GetRecordsResponse
{
    /// <summary>The records, possibly none even when more follow.</summary>
    public IReadOnlyList<KinesisRecord> Records { get; init; } = [];

    /// <summary>The iterator for the next call; absent once a closed shard has been read to its end.</summary>
    public string? NextShardIterator { get; init; }

    /// <summary>How far the response is behind the tip of the stream; 0 means caught up.</summary>
    public long? MillisBehindLatest { get; init; }

    /// <summary>The shards that replaced this one, reported when its end is reached.</summary>
    public IReadOnlyList<ChildShard>? ChildShards { get; init; }
}

/// <summary>A record read from a shard.</summary>
public sealed class KinesisRecord
{
    /// <summary>The record's sequence number, unique within its shard and increasing over time.</summary>
    public required string SequenceNumber { get; init; }

    /// <summary>When the record reached the stream (epoch seconds on the wire, millisecond precision).</summary>
    [JsonConverter(typeof(EpochSecondsJsonConverter))]
    public DateTimeOffset? ApproximateArrivalTimestamp { get; init; }

    /// <summary>The data blob.</summary>
    public required ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>The partition key it was written with.</summary>
    public required string PartitionKey { get; init; }

    /// <summary><c>NONE</c> or <c>KMS</c>.</summary>
    public string? EncryptionType { get; init; }
}
