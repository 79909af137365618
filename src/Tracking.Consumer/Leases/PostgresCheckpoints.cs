using Npgsql;

namespace Tracking.Consumer.Leases;

/// <summary>
/// A shard's checkpoint in the PostgreSQL lease table (<c>shard_leases</c>, in the warehouse beside the rows it
/// guards), moved inside a load's transaction and only while the lease is held; with <see cref="PostgresLeaseSchema"/>
/// and <see cref="PostgresLeaseStore"/>, all of the lease table's SQL. The fence is the conditional update at the end
/// of the load (<see cref="AdvanceAsync"/>), not a lock held through it: the lease row is locked only from that update
/// to the commit, so renewals and takes, which must not wait on a load (a slow insert, a worker frozen mid-load),
/// never find it locked for longer than a commit. A take that lands first moves the counter and the load's update
/// then matches nothing; one that lands after waits for the commit and reads its checkpoint.
/// </summary>
internal static class PostgresCheckpoints
{
    /// <summary>Whether <paramref name="fence"/>'s owner holds the lease at its counter now, read without a lock: a
    /// load that lost its lease learns it before doing the work. The answer may change before the commit; only
    /// <see cref="AdvanceAsync"/> decides.</summary>
    public static async Task<bool> HoldsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        ShardFence fence,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT 1 FROM shard_leases WHERE stream = @stream AND shard_id = @shard AND owner = @owner AND counter = @counter",
            connection,
            transaction);
        command.Parameters.AddWithValue("stream", fence.Stream);
        command.Parameters.AddWithValue("shard", fence.ShardId);
        command.Parameters.AddWithValue("owner", fence.Owner);
        command.Parameters.AddWithValue("counter", fence.Counter);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Moves the checkpoint to <paramref name="sequenceNumber"/> (kept when <see langword="null"/>) and marks the
    /// shard finished when asked, if and only if <paramref name="fence"/>'s owner still holds the lease at its counter.
    /// Run as the last statement before the commit: the row lock it takes lasts only until then.
    /// </summary>
    /// <returns><see langword="false"/> when the lease is lost: the caller must roll back.</returns>
    public static async Task<bool> AdvanceAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        ShardFence fence,
        string? sequenceNumber,
        bool finished,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE shard_leases
               SET checkpoint = coalesce(@checkpoint, checkpoint), finished = finished OR @finished
             WHERE stream = @stream AND shard_id = @shard AND owner = @owner AND counter = @counter
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("checkpoint", NpgsqlTypes.NpgsqlDbType.Text, (object?)sequenceNumber ?? DBNull.Value);
        command.Parameters.AddWithValue("finished", finished);
        command.Parameters.AddWithValue("stream", fence.Stream);
        command.Parameters.AddWithValue("shard", fence.ShardId);
        command.Parameters.AddWithValue("owner", fence.Owner);
        command.Parameters.AddWithValue("counter", fence.Counter);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
