namespace Tracking.Consumer.Leases;

/// <summary>
/// Checkpoints kept in the warehouse apart from the lease store (Redshift's <c>shard_checkpoints</c>, moved by the
/// loads' own transactions): what <see cref="RedshiftLeaseStore"/> shows and moves aside with the leases. Defined here
/// so that leases need nothing of the warehouse; the warehouse implements it.
/// </summary>
internal interface IWarehouseCheckpoints
{
    /// <summary>Every checkpoint of <paramref name="stream"/>, by shard id.</summary>
    Task<IReadOnlyDictionary<string, ShardCheckpoint>> ListAsync(string stream, CancellationToken cancellationToken);

    /// <summary>Records that the checkpoints of <paramref name="stream"/> belong to <paramref name="current"/>, moving
    /// those of an older stream of the name aside first (<see cref="ILeaseStore.AdoptStreamAsync"/>).</summary>
    /// <returns>The identity whose checkpoints were set aside, or <see langword="null"/>.</returns>
    Task<StreamIdentity?> AdoptStreamAsync(string stream, StreamIdentity current, CancellationToken cancellationToken);
}
