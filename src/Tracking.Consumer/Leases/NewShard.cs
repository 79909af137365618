namespace Tracking.Consumer.Leases;

/// <summary>A shard found by listing the stream, not yet in the lease table.</summary>
internal sealed record NewShard(string ShardId, IReadOnlyList<string> ParentShardIds, string StartPosition, DateTimeOffset? StartTimestamp = null);
