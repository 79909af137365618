namespace Tracking.Consumer.Leases;

/// <summary>
/// Leases for the Redshift dialect: ownership, expiry and renewals in a store built for frequent small writes
/// (<paramref name="leases"/>), checkpoints and the fence in Redshift (<paramref name="checkpoints"/>). A lease
/// renewal every few seconds per shard would otherwise be a Redshift commit each, queueing behind the loads.
/// The listing shows Redshift's checkpoints and finished shards. The new holder of a lease claims the shard in
/// Redshift with its counter before reading (the Redshift loader's <c>BeginAsync</c>), in the shard's own
/// task: a claim waits for loads in progress, and the coordinator's renewals must not.
/// </summary>
internal sealed class RedshiftLeaseStore(ILeaseStore leases, IWarehouseCheckpoints checkpoints) : ILeaseStore
{
    /// <summary>The store that holds ownership, expiry and renewals.</summary>
    internal ILeaseStore Leases => leases;

    public async Task<IReadOnlyList<Lease>> ListAsync(string stream, CancellationToken cancellationToken)
    {
        var listed = await leases.ListAsync(stream, cancellationToken);
        var loaded = await checkpoints.ListAsync(stream, cancellationToken);
        return listed
            .Select(l => loaded.TryGetValue(l.ShardId, out var c) ? l with { Checkpoint = c.SequenceNumber, Finished = c.Finished } : l with { Checkpoint = null, Finished = false })
            .ToList();
    }

    public Task AddShardsAsync(string stream, IReadOnlyList<NewShard> shards, CancellationToken cancellationToken) =>
        leases.AddShardsAsync(stream, shards, cancellationToken);

    public Task<ShardFence?> TryTakeAsync(string stream, string shardId, long observedCounter, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        leases.TryTakeAsync(stream, shardId, observedCounter, owner, expiresAt, cancellationToken);

    public Task<bool> RenewAsync(ShardFence fence, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        leases.RenewAsync(fence, expiresAt, cancellationToken);

    public Task ReleaseAsync(ShardFence fence, CancellationToken cancellationToken) =>
        leases.ReleaseAsync(fence, cancellationToken);

    /// <summary>Redshift's checkpoints first, then the ownership store, each deciding by its own record. Stopped between
    /// the two, the next round finds Redshift done and the store not yet, and finishes; the other order would leave the
    /// old checkpoints under new, unowned leases, the very state this guards against.</summary>
    public async Task<StreamIdentity?> AdoptStreamAsync(string stream, StreamIdentity current, CancellationToken cancellationToken)
    {
        var checkpointsAside = await checkpoints.AdoptStreamAsync(stream, current, cancellationToken);
        var leasesAside = await leases.AdoptStreamAsync(stream, current, cancellationToken);
        return checkpointsAside ?? leasesAside;
    }
}
