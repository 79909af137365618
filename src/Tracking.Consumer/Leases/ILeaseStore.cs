namespace Tracking.Consumer.Leases;

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
