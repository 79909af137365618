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

/// <summary>A shard found by listing the stream, not yet in the lease table.</summary>
internal sealed record NewShard(string ShardId, IReadOnlyList<string> ParentShardIds, string StartPosition, DateTimeOffset? StartTimestamp = null);

/// <summary>The lease table. Every change is conditional on the counter read before, so two workers never both win.</summary>
internal interface ILeaseStore
{
    Task<IReadOnlyList<Lease>> ListAsync(string stream, CancellationToken cancellationToken);

    /// <summary>Adds shards not yet in the table; existing rows are left as they are.</summary>
    Task AddShardsAsync(string stream, IReadOnlyList<NewShard> shards, CancellationToken cancellationToken);

    /// <summary>Takes the lease if its counter is still <paramref name="observedCounter"/>; returns the fence, or <see langword="null"/> when another worker changed it first.</summary>
    Task<ShardFence?> TryTakeAsync(string stream, string shardId, long observedCounter, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Extends the lease if it is still held at the fence's counter.</summary>
    Task<bool> RenewAsync(ShardFence fence, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Gives the lease up so another worker can take it at once.</summary>
    Task ReleaseAsync(ShardFence fence, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the rows of <paramref name="stream"/> belong to <paramref name="current"/>. When they belonged to
    /// another stream of the same name (deleted and created again), moves them aside under
    /// <see cref="StreamIdentity.AsideName"/> first, so the new stream's shards start afresh and nothing holds,
    /// fences or finishes them by the old stream's state. The check and the move are one step: of several workers
    /// that notice at once, one moves the rows and the others find the new identity already recorded.
    /// </summary>
    /// <returns>The identity whose rows this call set aside; <see langword="null"/> when it set nothing aside (the
    /// stream met for the first time, the same stream, or another worker did it).</returns>
    Task<StreamIdentity?> AdoptStreamAsync(string stream, StreamIdentity current, CancellationToken cancellationToken);
}
