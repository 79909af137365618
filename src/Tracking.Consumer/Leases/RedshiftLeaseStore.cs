using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Leases;

/// <summary>
/// Leases for the Redshift dialect: ownership, expiry and renewals in a store built for frequent small writes
/// (<paramref name="leases"/>), checkpoints and the fence in Redshift (<paramref name="checkpoints"/>). A lease
/// renewal every few seconds per shard would otherwise be a Redshift commit each, queueing behind the loads.
/// Taking a lease is the one step that writes both: the lease store's conditional take, then the claim in Redshift
/// with the new counter; only then may the shard be read.
/// </summary>
internal sealed partial class RedshiftLeaseStore(ILeaseStore leases, RedshiftCheckpoints checkpoints, ILogger<RedshiftLeaseStore> logger) : ILeaseStore
{
    public async Task<IReadOnlyList<Lease>> ListAsync(string stream, CancellationToken cancellationToken)
    {
        var listed = await leases.ListAsync(stream, cancellationToken);
        var loaded = await checkpoints.ListAsync(stream, cancellationToken);
        return listed
            .Select(l => loaded.TryGetValue(l.ShardId, out var c) ? l with { Checkpoint = c.Checkpoint, Finished = c.Finished } : l with { Checkpoint = null, Finished = false })
            .ToList();
    }

    public Task AddShardsAsync(string stream, IReadOnlyList<NewShard> shards, CancellationToken cancellationToken) =>
        leases.AddShardsAsync(stream, shards, cancellationToken);

    public async Task<ShardFence?> TryTakeAsync(string stream, string shardId, long observedCounter, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var fence = await leases.TryTakeAsync(stream, shardId, observedCounter, owner, expiresAt, cancellationToken);
        if (fence is null)
        {
            return null;
        }

        var claimed = await checkpoints.ClaimAsync(fence.Value, cancellationToken);
        if (claimed is null || claimed.Finished)
        {
            if (claimed is null)
            {
                LogStaleCounter(shardId, fence.Value.Counter);
            }

            // The lease store is behind Redshift or the shard is done: hold nothing.
            await leases.ReleaseAsync(fence.Value, cancellationToken);
            return null;
        }

        return fence;
    }

    public Task<bool> RenewAsync(ShardFence fence, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        leases.RenewAsync(fence, expiresAt, cancellationToken);

    public Task ReleaseAsync(ShardFence fence, CancellationToken cancellationToken) =>
        leases.ReleaseAsync(fence, cancellationToken);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {ShardId}: the lease store granted counter {Counter}, but Redshift's shard_checkpoints already holds that counter or a higher one; the lease database was reset or restored behind Redshift, and this shard is not read until its counter passes Redshift's")]
    private partial void LogStaleCounter(string shardId, long counter);
}
