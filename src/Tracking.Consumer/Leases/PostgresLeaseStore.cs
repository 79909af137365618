using Npgsql;

namespace Tracking.Consumer.Leases;

/// <summary>The lease table in the warehouse database, beside the rows it guards.</summary>
internal sealed class PostgresLeaseStore(NpgsqlDataSource dataSource) : ILeaseStore
{
    public async Task<IReadOnlyList<Lease>> ListAsync(string stream, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT shard_id, parent_shard_ids, start_position, owner, counter, expires_at, checkpoint, finished, start_timestamp FROM shard_leases WHERE stream = $1 ORDER BY shard_id");
        command.Parameters.Add(new NpgsqlParameter { Value = stream });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var leases = new List<Lease>();
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(new Lease(
                reader.GetString(0),
                reader.GetFieldValue<string[]>(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetBoolean(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return leases;
    }

    public async Task AddShardsAsync(string stream, IReadOnlyList<NewShard> shards, CancellationToken cancellationToken)
    {
        if (shards.Count == 0)
        {
            return;
        }

        await using var batch = dataSource.CreateBatch();
        foreach (var shard in shards)
        {
            var command = new NpgsqlBatchCommand(
                "INSERT INTO shard_leases (stream, shard_id, parent_shard_ids, start_position, start_timestamp) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream, shard_id) DO NOTHING");
            command.Parameters.Add(new NpgsqlParameter { Value = stream });
            command.Parameters.Add(new NpgsqlParameter { Value = shard.ShardId });
            command.Parameters.Add(new NpgsqlParameter { Value = shard.ParentShardIds.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = shard.StartPosition });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)shard.StartTimestamp?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ShardFence?> TryTakeAsync(string stream, string shardId, long observedCounter, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE shard_leases SET owner = $1, counter = counter + 1, expires_at = $2
             WHERE stream = $3 AND shard_id = $4 AND counter = $5 AND NOT finished
            RETURNING counter
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = expiresAt.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = stream });
        command.Parameters.Add(new NpgsqlParameter { Value = shardId });
        command.Parameters.Add(new NpgsqlParameter { Value = observedCounter });
        var counter = await command.ExecuteScalarAsync(cancellationToken);
        return counter is long value ? new ShardFence(stream, shardId, owner, value) : null;
    }

    public async Task<bool> RenewAsync(ShardFence fence, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE shard_leases SET expires_at = $1 WHERE stream = $2 AND shard_id = $3 AND owner = $4 AND counter = $5");
        command.Parameters.Add(new NpgsqlParameter { Value = expiresAt.UtcDateTime });
        AddFence(command.Parameters, fence);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ReleaseAsync(ShardFence fence, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE shard_leases SET owner = NULL, expires_at = NULL, counter = counter + 1 WHERE stream = $1 AND shard_id = $2 AND owner = $3 AND counter = $4");
        AddFence(command.Parameters, fence);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<StreamIdentity?> AdoptStreamAsync(string stream, StreamIdentity current, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The row lock makes the workers that notice together take turns: the second finds the first's answer.
        StreamIdentity? recorded = null;
        await using (var command = new NpgsqlCommand("SELECT created_at, arn FROM stream_identities WHERE stream = $1 FOR UPDATE", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = stream });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                recorded = new StreamIdentity(reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetString(1));
            }
        }

        if (recorded is not null && recorded.IsSameStream(current))
        {
            return null;
        }

        if (recorded is not null)
        {
            // Checkpoints live in these rows here, so they go aside with the leases; a load of the old stream that is
            // still running finds no row under its fence and rolls back.
            await using var move = new NpgsqlCommand("UPDATE shard_leases SET stream = $1 WHERE stream = $2", connection, transaction);
            move.Parameters.Add(new NpgsqlParameter { Value = recorded.AsideName(stream) });
            move.Parameters.Add(new NpgsqlParameter { Value = stream });
            await move.ExecuteNonQueryAsync(cancellationToken);
        }

        // Met for the first time, two workers may both insert: the same stream, so the second's insert is moot.
        await using (var command = new NpgsqlCommand(
            recorded is null
                ? "INSERT INTO stream_identities (stream, created_at, arn, recorded_at) VALUES ($1, $2, $3, now()) ON CONFLICT (stream) DO NOTHING"
                : "UPDATE stream_identities SET created_at = $2, arn = $3, recorded_at = now() WHERE stream = $1",
            connection,
            transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = stream });
            command.Parameters.Add(new NpgsqlParameter { Value = current.CreatedAt.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)current.Arn ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return recorded;
    }

    // Positional parameters: the fence's four values follow whatever the statement binds first.
    private static void AddFence(NpgsqlParameterCollection parameters, ShardFence fence)
    {
        parameters.Add(new NpgsqlParameter { Value = fence.Stream });
        parameters.Add(new NpgsqlParameter { Value = fence.ShardId });
        parameters.Add(new NpgsqlParameter { Value = fence.Owner });
        parameters.Add(new NpgsqlParameter { Value = fence.Counter });
    }
}
