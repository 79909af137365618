using Npgsql;

namespace Tracking.Consumer.Leases;

/// <summary>
/// The lease table in a PostgreSQL database of its own (<c>Consumer:Leases:Store=Postgres</c>), created on start when
/// missing. It is the table of the PostgreSQL warehouse's first migration; with the Redshift dialect its
/// <c>checkpoint</c> and <c>finished</c> columns stay unused, as those live in Redshift.
/// </summary>
internal sealed class PostgresLeaseSchema(NpgsqlDataSource leaseDatabase)
{
    /// <summary>The lease table's columns, shared with the PostgreSQL warehouse's first migration.</summary>
    internal const string Columns = """
        (
            stream           text NOT NULL,
            shard_id         text NOT NULL,
            parent_shard_ids text[] NOT NULL DEFAULT '{}',
            start_position   text NOT NULL,
            owner            text,
            counter          bigint NOT NULL DEFAULT 0,
            expires_at       timestamptz,
            checkpoint       text,
            finished         boolean NOT NULL DEFAULT false,
            PRIMARY KEY (stream, shard_id)
        )
        """;

    /// <summary>The lease table's second version, shared with the PostgreSQL warehouse's second migration: the arrival
    /// time a shard without checkpoint starts at (<see cref="Lease.StartTimestamp"/>).</summary>
    internal const string StartTimestampColumn = "ALTER TABLE shard_leases ADD COLUMN IF NOT EXISTS start_timestamp timestamptz";

    /// <summary>The lease table's third version, shared with the PostgreSQL warehouse's fifth migration: which stream of
    /// each name the rows belong to (<see cref="StreamIdentity"/>), so a stream deleted and created again is noticed.</summary>
    internal const string StreamIdentitiesTable = """
        CREATE TABLE IF NOT EXISTS stream_identities (
            stream      text PRIMARY KEY,
            created_at  timestamptz NOT NULL,
            arn         text,
            recorded_at timestamptz NOT NULL
        )
        """;

    private const long CreateLock = 0x6c65_6173_6573;

    public async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await leaseDatabase.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@lock)", connection, transaction))
        {
            command.Parameters.AddWithValue("lock", CreateLock);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            $"""
            CREATE TABLE IF NOT EXISTS shard_leases {Columns}
            """,
            connection,
            transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var statement in new[] { StartTimestampColumn, StreamIdentitiesTable })
        {
            await using var command = new NpgsqlCommand(statement, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
