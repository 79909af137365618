using System.Text.Json.Serialization;

namespace Tracking.Aws.Kinesis;

/// <summary>Input of <c>SplitShard</c>: the parent closes and two children share its hash keys. The stream is
/// <c>UPDATING</c> until the split is done.</summary>
public sealed class SplitShardRequest
{
    /// <summary>The stream name. Either this or <see cref="StreamArn"/> is required.</summary>
    public string? StreamName { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }

    /// <summary>The shard to split.</summary>
    public required string ShardToSplit { get; init; }

    /// <summary>The first hash key (decimal) of the second child; it must lie inside the parent's range.</summary>
    public required string NewStartingHashKey { get; init; }
}

/// <summary>Input of <c>MergeShards</c>: two adjacent open shards close and one child owns both ranges.</summary>
public sealed class MergeShardsRequest
{
    /// <summary>The stream name. Either this or <see cref="StreamArn"/> is required.</summary>
    public string? StreamName { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }

    /// <summary>The first shard to merge.</summary>
    public required string ShardToMerge { get; init; }

    /// <summary>The shard whose hash key range is adjacent to <see cref="ShardToMerge"/>'s.</summary>
    public required string AdjacentShardToMerge { get; init; }
}
