namespace Tracking.Aws.Kinesis;

/// <summary>A shard of a stream, as <c>ListShards</c> describes it.</summary>
public sealed class Shard
{
    /// <summary>The shard's id, e.g. <c>shardId-000000000000</c>.</summary>
    public required string ShardId { get; init; }

    /// <summary>The shard this one was split or merged from, if any.</summary>
    public string? ParentShardId { get; init; }

    /// <summary>The second parent when this shard is the result of a merge.</summary>
    public string? AdjacentParentShardId { get; init; }

    /// <summary>The range of 128-bit hash keys the shard owns.</summary>
    public required HashKeyRange HashKeyRange { get; init; }

    /// <summary>The sequence numbers in the shard; an ending number means the shard is closed.</summary>
    public required SequenceNumberRange SequenceNumberRange { get; init; }
}

/// <summary>A range of 128-bit hash keys, as decimal strings.</summary>
public sealed class HashKeyRange
{
    /// <summary>The first hash key of the range.</summary>
    public required string StartingHashKey { get; init; }

    /// <summary>The last hash key of the range.</summary>
    public required string EndingHashKey { get; init; }
}

/// <summary>The sequence numbers of a shard.</summary>
public sealed class SequenceNumberRange
{
    /// <summary>The first sequence number.</summary>
    public required string StartingSequenceNumber { get; init; }

    /// <summary>The last sequence number, present once the shard is closed by a reshard.</summary>
    public string? EndingSequenceNumber { get; init; }
}

/// <summary>A shard that replaced a closed one, reported by <c>GetRecords</c> at the end of the parent.</summary>
public sealed class ChildShard
{
    /// <summary>The child's id.</summary>
    public required string ShardId { get; init; }

    /// <summary>The parents of the child (two after a merge).</summary>
    public IReadOnlyList<string> ParentShards { get; init; } = [];

    /// <summary>The hash keys the child owns.</summary>
    public required HashKeyRange HashKeyRange { get; init; }
}
