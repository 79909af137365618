using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Leases;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// The shard checkpoints kept in Redshift, where the load transaction moves them. The lease store decides who holds
/// a shard; the holder then <em>claims</em> the shard here with its lease counter, and every load commits only if the
/// row still names that owner and counter. A worker whose lease was taken can therefore commit nothing once the
/// new holder has claimed, however late its load runs.
/// </summary>
internal sealed class RedshiftCheckpoints(NpgsqlDataSource dataSource) : IWarehouseCheckpoints
{
    public async Task<IReadOnlyDictionary<string, ShardCheckpoint>> ListAsync(string stream, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(RedshiftSql.ListCheckpoints);
        command.Parameters.Add(new NpgsqlParameter { Value = stream, NpgsqlDbType = NpgsqlDbType.Varchar });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var checkpoints = new Dictionary<string, ShardCheckpoint>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints[reader.GetString(0)] = new ShardCheckpoint(reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2));
        }

        return checkpoints;
    }

    /// <summary>Records that the checkpoints of <paramref name="stream"/> belong to <paramref name="current"/>, moving
    /// those of an older stream of the name aside first (<see cref="ILeaseStore.AdoptStreamAsync"/>). Serialised
    /// with the loads and claims by their lock: a load of the old stream still running commits nothing after it.</summary>
    /// <returns>The identity whose checkpoints were set aside, or <see langword="null"/>.</returns>
    public async Task<StreamIdentity?> AdoptStreamAsync(string stream, StreamIdentity current, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(RedshiftSql.LockLoads, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        StreamIdentity? recorded = null;
        await using (var command = new NpgsqlCommand(RedshiftSql.ReadStreamIdentity, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = stream, NpgsqlDbType = NpgsqlDbType.Varchar });
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
            await using var move = new NpgsqlCommand(RedshiftSql.MoveCheckpointsAside, connection, transaction);
            move.Parameters.Add(new NpgsqlParameter { Value = recorded.AsideName(stream), NpgsqlDbType = NpgsqlDbType.Varchar });
            move.Parameters.Add(new NpgsqlParameter { Value = stream, NpgsqlDbType = NpgsqlDbType.Varchar });
            await move.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(recorded is null ? RedshiftSql.InsertStreamIdentity : RedshiftSql.UpdateStreamIdentity, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = stream, NpgsqlDbType = NpgsqlDbType.Varchar });
            command.Parameters.Add(new NpgsqlParameter { Value = current.CreatedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)current.Arn ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return recorded;
    }

    /// <summary>Makes <paramref name="fence"/> the shard's fence, in a transaction serialised with the loads.</summary>
    /// <returns>The checkpoint at the moment of the claim, or <see langword="null"/> when the row already holds an
    /// equal or higher counter (the fence is stale).</returns>
    public async Task<ShardCheckpoint?> ClaimAsync(ShardFence fence, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(RedshiftSql.LockLoads, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        ShardCheckpoint? existing = null;
        await using (var command = new NpgsqlCommand(RedshiftSql.ReadCheckpoint, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = fence.Stream, NpgsqlDbType = NpgsqlDbType.Varchar });
            command.Parameters.Add(new NpgsqlParameter { Value = fence.ShardId, NpgsqlDbType = NpgsqlDbType.Varchar });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetInt64(0) >= fence.Counter)
                {
                    return null;
                }

                existing = new ShardCheckpoint(reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2));
            }
        }

        await using (var command = new NpgsqlCommand(existing is null ? RedshiftSql.InsertCheckpoint : RedshiftSql.ClaimCheckpoint, connection, transaction))
        {
            if (existing is null)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = fence.Stream, NpgsqlDbType = NpgsqlDbType.Varchar });
                command.Parameters.Add(new NpgsqlParameter { Value = fence.ShardId, NpgsqlDbType = NpgsqlDbType.Varchar });
                command.Parameters.Add(new NpgsqlParameter { Value = fence.Owner, NpgsqlDbType = NpgsqlDbType.Varchar });
                command.Parameters.Add(new NpgsqlParameter { Value = fence.Counter, NpgsqlDbType = NpgsqlDbType.Bigint });
            }
            else
            {
                command.Parameters.Add(new NpgsqlParameter { Value = fence.Owner, NpgsqlDbType = NpgsqlDbType.Varchar });
                command.Parameters.Add(new NpgsqlParameter { Value = fence.Counter, NpgsqlDbType = NpgsqlDbType.Bigint });
                command.Parameters.Add(new NpgsqlParameter { Value = fence.Stream, NpgsqlDbType = NpgsqlDbType.Varchar });
                command.Parameters.Add(new NpgsqlParameter { Value = fence.ShardId, NpgsqlDbType = NpgsqlDbType.Varchar });
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return existing ?? new ShardCheckpoint(null, false);
    }
}
