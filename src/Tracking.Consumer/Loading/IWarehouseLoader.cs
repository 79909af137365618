using Tracking.Consumer.Leases;

namespace Tracking.Consumer.Loading;

/// <summary>Writes one batch and its fenced checkpoint in one transaction.</summary>
internal interface IWarehouseLoader
{
    /// <summary>
    /// Called once when a worker starts a shard it has just leased, before it reads: returns the checkpoint to read
    /// after (by default <paramref name="listed"/>, the one the lease store listed), or <see langword="null"/> when the
    /// fence no longer holds. A warehouse whose fence lives apart from the lease store claims the shard here, off the
    /// lease coordinator's loop, so a claim that waits for another shard's load never delays renewals.
    /// </summary>
    Task<ShardCheckpoint?> BeginAsync(ShardFence fence, ShardCheckpoint listed, CancellationToken cancellationToken) => Task.FromResult<ShardCheckpoint?>(listed);

    /// <summary>Loads the batch, or commits nothing when the fence no longer holds.</summary>
    Task<LoadResult> LoadAsync(LoadBatch batch, CancellationToken cancellationToken);
}
