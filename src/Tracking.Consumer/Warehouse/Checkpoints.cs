using Npgsql;
using Tracking.Consumer.Loading;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// A shard's checkpoint, moved inside a load's transaction and only while the lease is held. The fence is the
/// conditional update at the end of the load (<see cref="AdvanceAsync"/>), not a lock held through it: the lease row
/// is locked only from that update to the commit, so renewals and takes, which must not wait on a load (a slow insert,
/// a worker frozen mid-load), never find it locked for longer than a commit. A take that lands first moves the counter
/// and the load's update then matches nothing; one that lands after waits for the commit and reads its checkpoint.
/// </summary>
internal static class Checkpoints
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

/// <summary>Records the warehouse cannot hold, written in the same transaction as their batch's good rows.</summary>
internal static class DeadLetters
{
    public static async Task InsertAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string stream,
        string shardId,
        IReadOnlyList<DeadLetter> deadLetters,
        DateTimeOffset failedAt,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var letter in deadLetters)
        {
            var command = new NpgsqlBatchCommand(
                """
                INSERT INTO dead_letters (stream, shard_id, sequence_number, reason, payload, failed_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (stream, shard_id, sequence_number) DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = stream });
            command.Parameters.Add(new NpgsqlParameter { Value = shardId });
            command.Parameters.Add(new NpgsqlParameter { Value = letter.SequenceNumber });
            command.Parameters.Add(new NpgsqlParameter { Value = letter.Reason });
            command.Parameters.Add(new NpgsqlParameter { Value = letter.Payload.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = failedAt.UtcDateTime });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
