namespace Tracking.Events;

// What the consumer's /status.json says and the API's status page reads: one contract for both processes.

/// <summary>The consumer's <c>/status.json</c>.</summary>
/// <param name="WorkerId">The worker's name (<c>Consumer:WorkerId</c>); its lease owner adds an instance id.</param>
/// <param name="LeasesHeld">Shard leases this worker holds.</param>
/// <param name="Shards">Each shard it reads, with how far its last read is behind the tip of the stream.</param>
public sealed record ConsumerStatus(string WorkerId, int LeasesHeld, IReadOnlyList<ConsumerShard> Shards)
{
    /// <summary>Shards this worker saw failing, or holds and sees not advancing while records wait; empty when all
    /// move. Absent from consumers older than this field, which reads as empty.</summary>
    public IReadOnlyList<StuckShard> StuckShards { get; init; } = [];
}

/// <summary>One shard the consumer reads.</summary>
/// <param name="ShardId">The shard.</param>
/// <param name="MillisBehindLatest">How far the last read is behind the tip of the stream (Kinesis's MillisBehindLatest).</param>
public sealed record ConsumerShard(string ShardId, long MillisBehindLatest);

/// <summary>A shard that does not move.</summary>
/// <param name="ShardId">The shard.</param>
/// <param name="State"><see cref="Failing"/> or <see cref="NotAdvancing"/>.</param>
/// <param name="Reason">Why, for a person: the last error, or how long since the last commit and what waits.</param>
/// <param name="Failures">Failed attempts in a row since its last commit (0 when not advancing).</param>
/// <param name="Since">When the first of those failures happened, or the last progress.</param>
/// <param name="RetryAt">When this worker tries a failing shard again, after its back-off.</param>
/// <param name="Unready">Whether it makes the consumer's <c>/health/ready</c> fail.</param>
public sealed record StuckShard(string ShardId, string State, string Reason, int Failures, DateTimeOffset Since, DateTimeOffset? RetryAt, bool Unready)
{
    /// <summary>The shard's processing fails and is retried with back-off.</summary>
    public const string Failing = "failing";

    /// <summary>The shard is held but nothing has been committed for <c>Consumer:Health:StuckAfter</c> while records wait.</summary>
    public const string NotAdvancing = "not-advancing";
}
