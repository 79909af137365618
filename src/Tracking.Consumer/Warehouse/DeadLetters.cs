using Npgsql;

namespace Tracking.Consumer.Warehouse;

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
