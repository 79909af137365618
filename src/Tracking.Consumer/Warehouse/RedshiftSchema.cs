using Npgsql;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// The Redshift tables (<c>events</c>, <c>dead_letters</c>, <c>shard_checkpoints</c>) and their versioned migrations,
/// from <see cref="RedshiftSql"/>. Redshift has no advisory locks: workers starting together serialise on a table
/// lock of <c>consumer_schema_migrations</c>, and each migration commits with its row.
/// </summary>
internal sealed partial class RedshiftSchema(NpgsqlDataSource dataSource, RedshiftSql sql, TimeProvider timeProvider, ILogger<RedshiftSchema> logger, PlanViewSync? planViews = null) : IWarehouseSchema
{
    /// <summary>The migrations, by version. Append only: a released migration never changes.</summary>
    internal IReadOnlyList<(int Version, string Description, IReadOnlyList<string> Statements)> Migrations =>
    [
        (1, "events, dead_letters and shard_checkpoints", sql.SchemaVersion1),
        (2, "events.unparsed_times: times not in the accepted form, kept as sent", RedshiftSql.SchemaVersion2),
        (3, "Segment-shaped views: tracks, identifies, pages, screens, groups, aliases, users", SegmentViews.Create(redshift: true)),
        (4, "stream_identities: a stream deleted and created again is read afresh", RedshiftSql.SchemaVersion4),
        (5, "regulations: each deletion of a user's data, who asked, when, what it removed", [Regulations.RegulationSql.RedshiftTable]),

        // Migration 3 builds the views from the same code, so a new database and one migrated from 3 end alike.
        (6, "Segment-shaped views: a JSON value too long to serialize gives NULL columns, not a failed query", SegmentViews.Create(redshift: true, replace: true)),
        (7, "events.violations: how an event breaks its source's tracking plan", RedshiftSql.SchemaVersion7),
        (8, "plan_views: the per-event views the consumer made from the tracking plans", RedshiftSql.SchemaVersion8),
    ];

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(RedshiftSql.CreateMigrationsTable, connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(RedshiftSql.LockMigrations, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int current;
        await using (var command = new NpgsqlCommand(RedshiftSql.CurrentVersion, connection, transaction))
        {
            current = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (version, description, statements) in Migrations.Where(m => m.Version > current))
        {
            foreach (var statement in statements)
            {
                await using var command = new NpgsqlCommand(statement, connection, transaction);
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException exception) when (SchemaClashException.IsClash(exception))
                {
                    throw SchemaClashException.For(version, description, exception);
                }
            }

            await using (var command = new NpgsqlCommand(RedshiftSql.RecordMigration, connection, transaction))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = version });
                command.Parameters.Add(new NpgsqlParameter { Value = description, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
                command.Parameters.Add(new NpgsqlParameter { Value = timeProvider.GetUtcNow().UtcDateTime, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            LogApplied(version, description);
        }

        if (planViews is not null)
        {
            await planViews.ApplyAsync(connection, transaction, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (current >= Migrations[^1].Version)
        {
            LogUpToDate(current);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redshift schema migrated to version {Version}: {Description}")]
    private partial void LogApplied(int version, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redshift schema is at version {Version}; nothing to migrate")]
    private partial void LogUpToDate(int version);
}
