using Npgsql;
using Tracking.Consumer.Loading;

namespace Tracking.Consumer.Warehouse;

/// <summary>A shard's checkpoint, moved inside a load's transaction and only while the lease is held.</summary>
internal static class Checkpoints
{
    /// <summary>
    /// Moves the checkpoint to <paramref name="sequenceNumber"/> (kept when <see langword="null"/>) and marks the
    /// shard finished when asked, if and only if <paramref name="fence"/>'s owner still holds the lease at its counter.
    /// The row lock it takes also makes a concurrent take wait until this transaction ends.
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
