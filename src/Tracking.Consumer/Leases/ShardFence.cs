namespace Tracking.Consumer.Leases;

/// <summary>
/// What a load must prove to commit: the shard's lease is still held by this owner at this counter. Another
/// worker taking the lease increments the counter, so a worker that lost it cannot commit.
/// </summary>
internal readonly record struct ShardFence(string Stream, string ShardId, string Owner, long Counter);
