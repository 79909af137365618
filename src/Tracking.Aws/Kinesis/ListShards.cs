using System.Text.Json.Serialization;
using Tracking.Aws.Protocol;

namespace Tracking.Aws.Kinesis;

/// <summary>
/// Input of <c>ListShards</c>. The first page names the stream; later pages pass only <see cref="NextToken"/>
/// (and optionally <see cref="MaxResults"/>), because the token already identifies the stream.
/// <see cref="KinesisClientExtensions.ListAllShardsAsync"/> does the paging.
/// </summary>
public sealed class ListShardsRequest
{
    /// <summary>The stream name; not allowed together with <see cref="NextToken"/>.</summary>
    public string? StreamName { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }

    /// <summary>The token of the previous page; valid for 300 seconds, after which the service answers <c>ExpiredNextTokenException</c>.</summary>
    public string? NextToken { get; init; }

    /// <summary>List the shards after this one; not allowed together with <see cref="NextToken"/>.</summary>
    public string? ExclusiveStartShardId { get; init; }

    /// <summary>Page size, 1 to <see cref="KinesisLimits.MaxListShardsResults"/>; the service's default is 1,000.</summary>
    public int? MaxResults { get; init; }

    /// <summary>Distinguishes streams that had the same name; not allowed together with <see cref="NextToken"/>.</summary>
    [JsonConverter(typeof(EpochSecondsJsonConverter))]
    public DateTimeOffset? StreamCreationTimestamp { get; init; }

    /// <summary>Restricts the shards returned, e.g. to those open at the tip of the stream.</summary>
    public ShardFilter? ShardFilter { get; init; }
}

/// <summary>Output of <c>ListShards</c>: one page of shards.</summary>
public sealed class ListShardsResponse
{
    /// <summary>The shards of this page.</summary>
    public IReadOnlyList<Shard> Shards { get; init; } = [];

    /// <summary>The token for the next page, absent on the last one.</summary>
    public string? NextToken { get; init; }
}

/// <summary>Which shards <c>ListShards</c> returns.</summary>
public sealed class ShardFilter
{
    /// <summary>The kind of filter.</summary>
    public required ShardFilterType Type { get; init; }

    /// <summary>The shard id, for <see cref="ShardFilterType.AfterShardId"/>.</summary>
    public string? ShardId { get; init; }

    /// <summary>The time, for <see cref="ShardFilterType.AtTimestamp"/> and <see cref="ShardFilterType.FromTimestamp"/>.</summary>
    [JsonConverter(typeof(EpochSecondsJsonConverter))]
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary>The <c>ShardFilter.Type</c> values of <c>ListShards</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ShardFilterType>))]
public enum ShardFilterType
{
    /// <summary>Shards after <see cref="ShardFilter.ShardId"/>.</summary>
    [JsonStringEnumMemberName("AFTER_SHARD_ID")]
    AfterShardId,

    /// <summary>Shards open at the trim horizon.</summary>
    [JsonStringEnumMemberName("AT_TRIM_HORIZON")]
    AtTrimHorizon,

    /// <summary>All shards from the trim horizon to the tip.</summary>
    [JsonStringEnumMemberName("FROM_TRIM_HORIZON")]
    FromTrimHorizon,

    /// <summary>Only the currently open shards.</summary>
    [JsonStringEnumMemberName("AT_LATEST")]
    AtLatest,

    /// <summary>Shards open at <see cref="ShardFilter.Timestamp"/>.</summary>
    [JsonStringEnumMemberName("AT_TIMESTAMP")]
    AtTimestamp,

    /// <summary>Shards open at or after <see cref="ShardFilter.Timestamp"/>.</summary>
    [JsonStringEnumMemberName("FROM_TIMESTAMP")]
    FromTimestamp,
}
