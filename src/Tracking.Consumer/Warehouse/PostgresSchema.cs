using Npgsql;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// The warehouse tables and their versioned migrations. Each migration runs once, in order, in one transaction
/// with its row in <c>consumer_schema_migrations</c>; an advisory lock keeps workers that start together from
/// running them twice. A database already at the latest version is left alone.
/// </summary>
internal sealed partial class PostgresSchema(NpgsqlDataSource dataSource, ILogger<PostgresSchema> logger, PlanViewSync? planViews = null) : IWarehouseSchema
{
    /// <summary>Any fixed number: the advisory lock that serialises migrations across workers.</summary>
    private const long MigrationLock = 0x7472_6163_6b69_6e67;

    /// <summary>The migrations, by version. Append only: a released migration never changes.</summary>
    internal static readonly IReadOnlyList<(int Version, string Description, string Sql)> Migrations =
    [
        (1, "events, dead_letters and shard_leases", $$"""
            CREATE TABLE events (
                message_id         text PRIMARY KEY,
                type               text,
                event              text,
                name               text,
                user_id            text,
                anonymous_id       text,
                group_id           text,
                previous_id        text,
                "timestamp"        timestamptz,
                original_timestamp timestamptz,
                sent_at            timestamptz,
                received_at        timestamptz,
                source             text,
                context            jsonb,
                properties         jsonb,
                traits             jsonb,
                integrations       jsonb,
                loaded_at          timestamptz NOT NULL
            );
            CREATE INDEX events_received_at ON events (received_at);

            CREATE TABLE dead_letters (
                id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                stream          text NOT NULL,
                shard_id        text NOT NULL,
                sequence_number text NOT NULL,
                reason          text NOT NULL,
                payload         bytea NOT NULL,
                failed_at       timestamptz NOT NULL,
                UNIQUE (stream, shard_id, sequence_number)
            );

            CREATE TABLE shard_leases {{Leases.PostgresLeaseSchema.Columns}};
            """),
        (2, "events.unparsed_times: times not in the accepted form, kept as sent", """
            ALTER TABLE events ADD COLUMN unparsed_times jsonb;
            """),
        (3, "Segment-shaped views: tracks, identifies, pages, screens, groups, aliases, users", string.Join(";\n", SegmentViews.Create(redshift: false))),
        (4, "shard_leases.start_timestamp: where InitialPosition=Latest starts", Leases.PostgresLeaseSchema.StartTimestampColumn),
        (5, "stream_identities: a stream deleted and created again is read afresh", Leases.PostgresLeaseSchema.StreamIdentitiesTable),
        (6, "regulations: each deletion of a user's data, who asked, when, what it removed", Regulations.RegulationSql.PostgresTable),
        (7, "events.violations: how an event breaks its source's tracking plan", """
            ALTER TABLE events ADD COLUMN violations jsonb;
            """),
        (8, "plan_views: the per-event views the consumer made from the tracking plans", $"""
            CREATE TABLE {PlanViewSync.Table} (
                view_name       text PRIMARY KEY,
                source          text NOT NULL,
                event           text NOT NULL,
                definition_hash text NOT NULL,
                created_at      timestamptz NOT NULL
            );
            """),
    ];

    /// <summary>The version a fully migrated database is at.</summary>
    internal static int LatestVersion => Migrations[^1].Version;

    /// <summary>Creates the tables on an empty database and applies the migrations a database lacks.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@lock)", connection, transaction))
        {
            command.Parameters.AddWithValue("lock", MigrationLock);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS consumer_schema_migrations (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
            connection,
            transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int current;
        await using (var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM consumer_schema_migrations", connection, transaction))
        {
            current = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        foreach (var (version, description, sql) in Migrations.Where(m => m.Version > current))
        {
            await using (var command = new NpgsqlCommand(sql, connection, transaction))
            {
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException exception) when (SchemaClashException.IsClash(exception))
                {
                    throw SchemaClashException.For(version, description, exception);
                }
            }

            await using (var command = new NpgsqlCommand("INSERT INTO consumer_schema_migrations (version, description) VALUES (@version, @description)", connection, transaction))
            {
                command.Parameters.AddWithValue("version", version);
                command.Parameters.AddWithValue("description", description);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            LogApplied(version, description);
        }

        if (planViews is not null)
        {
            await planViews.ApplyAsync(connection, transaction, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (current >= LatestVersion)
        {
            LogUpToDate(current);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Warehouse schema migrated to version {Version}: {Description}")]
    private partial void LogApplied(int version, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "Warehouse schema is at version {Version}; nothing to migrate")]
    private partial void LogUpToDate(int version);
}
