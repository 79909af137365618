namespace Tracking.Events;

// What the consumer's /status.json says and the API's status page reads: one contract for both processes.

/// <summary>The consumer's <c>/status.json</c>.</summary>
/// <param name="WorkerId">The worker's name in the lease table.</param>
/// <param name="LeasesHeld">Shard leases this worker holds.</param>
/// <param name="Shards">Each shard it reads, with how far its last read is behind the tip of the stream.</param>
public sealed record ConsumerStatus(string WorkerId, int LeasesHeld, IReadOnlyList<ConsumerShard> Shards);

/// <summary>One shard the consumer reads.</summary>
/// <param name="ShardId">The shard.</param>
/// <param name="MillisBehindLatest">How far the last read is behind the tip of the stream (Kinesis's MillisBehindLatest).</param>
public sealed record ConsumerShard(string ShardId, long MillisBehindLatest);
