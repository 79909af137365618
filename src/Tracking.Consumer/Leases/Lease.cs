namespace Tracking.Consumer.Leases;

/// <summary>A shard's row in <c>shard_leases</c>: who reads it until when, and how far it is loaded.</summary>
/// <param name="ShardId">The shard.</param>
/// <param name="ParentShardIds">The shards it was split or merged from; it is read only once every one is finished.</param>
/// <param name="StartPosition">Where reading starts without a checkpoint: a <c>ShardIteratorType</c> name.</param>
/// <param name="Owner">The worker holding it, or <see langword="null"/>.</param>
/// <param name="Counter">Incremented on every change of owner: the fencing token of loads.</param>
/// <param name="ExpiresAt">When the owner's hold ends unless renewed.</param>
/// <param name="Checkpoint">The sequence number of the last record loaded, or <see langword="null"/>.</param>
/// <param name="Finished">The shard is closed and read to its end.</param>
/// <param name="StartTimestamp">With <c>AT_TIMESTAMP</c>, the arrival time reading starts at: for
/// <c>InitialPosition=Latest</c> the moment the consumer first met the shard, so a restart before the shard's first
/// record still reads what arrived since.</param>
internal sealed record Lease(
    string ShardId,
    IReadOnlyList<string> ParentShardIds,
    string StartPosition,
    string? Owner,
    long Counter,
    DateTimeOffset? ExpiresAt,
    string? Checkpoint,
    bool Finished,
    DateTimeOffset? StartTimestamp = null)
{
    /// <summary>Whether someone holds it at <paramref name="now"/>, by the caller's clock.</summary>
    public bool IsHeld(DateTimeOffset now) => Owner is not null && ExpiresAt > now;

    /// <summary>How far the shard is loaded, as this row says.</summary>
    public ShardCheckpoint ToCheckpoint() => new(Checkpoint, Finished);
}
