namespace Tracking.Consumer.Loading;

/// <summary>
/// What a load must prove to commit: the shard's lease is still held by this owner at this counter. Another
/// worker taking the lease increments the counter, so a worker that lost it cannot commit.
/// </summary>
internal readonly record struct ShardFence(string Stream, string ShardId, string Owner, long Counter);

/// <summary>One shard's rows and dead letters up to <see cref="LastSequenceNumber"/>, committed together with the
/// checkpoint; <see cref="ShardFinished"/> marks the shard's end so its children may start.</summary>
internal sealed record LoadBatch(
    ShardFence Fence,
    IReadOnlyList<EventRow> Rows,
    IReadOnlyList<DeadLetter> DeadLetters,
    string? LastSequenceNumber,
    bool ShardFinished);

/// <summary>The outcome of a load.</summary>
internal enum LoadOutcome
{
    /// <summary>Rows, dead letters and checkpoint are committed.</summary>
    Committed,

    /// <summary>Nothing is committed: the lease was taken by another worker.</summary>
    LeaseLost,
}

/// <summary>The outcome and, when committed, how many rows were new.</summary>
internal sealed record LoadResult(LoadOutcome Outcome, int RowsInserted, int DuplicatesDropped);

/// <summary>Writes one batch and its fenced checkpoint in one transaction.</summary>
internal interface IWarehouseLoader
{
    /// <summary>
    /// Called once when a worker starts a shard it has just leased, before it reads: returns the lease to read from
    /// (by default as given), or <see langword="null"/> when the fence no longer holds. A warehouse whose fence lives
    /// apart from the lease store claims the shard here, off the lease coordinator's loop, so a claim that waits for
    /// another shard's load never delays renewals.
    /// </summary>
    Task<Leases.Lease?> BeginAsync(ShardFence fence, Leases.Lease lease, CancellationToken cancellationToken) => Task.FromResult<Leases.Lease?>(lease);

    /// <summary>Loads the batch, or commits nothing when the fence no longer holds.</summary>
    Task<LoadResult> LoadAsync(LoadBatch batch, CancellationToken cancellationToken);
}
