using System.Text.Json.Serialization;
using Tracking.Aws.Protocol;

namespace Tracking.Aws.Kinesis;

/// <summary>Input of <c>GetShardIterator</c>: where in a shard to start reading.</summary>
public sealed class GetShardIteratorRequest
{
    /// <summary>The stream name. Either this or <see cref="StreamArn"/> is required.</summary>
    public string? StreamName { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }

    /// <summary>The shard to read.</summary>
    public required string ShardId { get; init; }

    /// <summary>The starting position.</summary>
    public required ShardIteratorType ShardIteratorType { get; init; }

    /// <summary>The sequence number, for <see cref="ShardIteratorType.AtSequenceNumber"/> and <see cref="ShardIteratorType.AfterSequenceNumber"/>.</summary>
    public string? StartingSequenceNumber { get; init; }

    /// <summary>The arrival time to start at, for <see cref="ShardIteratorType.AtTimestamp"/>.</summary>
    [JsonConverter(typeof(EpochSecondsJsonConverter))]
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary>Output of <c>GetShardIterator</c>.</summary>
public sealed class GetShardIteratorResponse
{
    /// <summary>The iterator for the first <c>GetRecords</c> call; it expires after <see cref="KinesisLimits.ShardIteratorLifetime"/>.</summary>
    public required string ShardIterator { get; init; }
}

/// <summary>The <c>ShardIteratorType</c> values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ShardIteratorType>))]
public enum ShardIteratorType
{
    /// <summary>The oldest record still retained in the shard.</summary>
    [JsonStringEnumMemberName("TRIM_HORIZON")]
    TrimHorizon,

    /// <summary>Just after the newest record: only records written from now on.</summary>
    [JsonStringEnumMemberName("LATEST")]
    Latest,

    /// <summary>The first record that arrived at or after <see cref="GetShardIteratorRequest.Timestamp"/>.</summary>
    [JsonStringEnumMemberName("AT_TIMESTAMP")]
    AtTimestamp,

    /// <summary>The record with <see cref="GetShardIteratorRequest.StartingSequenceNumber"/>.</summary>
    [JsonStringEnumMemberName("AT_SEQUENCE_NUMBER")]
    AtSequenceNumber,

    /// <summary>The record after <see cref="GetShardIteratorRequest.StartingSequenceNumber"/>: resuming after a checkpoint.</summary>
    [JsonStringEnumMemberName("AFTER_SEQUENCE_NUMBER")]
    AfterSequenceNumber,
}
