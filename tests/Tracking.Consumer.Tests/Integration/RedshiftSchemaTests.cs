using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>The Redshift DDL run on PostgreSQL without its DISTKEY/SORTKEY attributes (see <see cref="RedshiftRehearsal"/>);
/// the Redshift-only text is checked in <c>Unit.RedshiftSqlTests</c>.</summary>
[Collection(Infrastructure.Name)]
public sealed class RedshiftSchemaTests(PostgresServer postgres)
{
    [Fact]
    public async Task TheRedshiftEventsTableHasThePostgresTablesColumnsInTheSameOrder()
    {
        var redshift = await MigratedAsync();
        var postgresDb = await postgres.CreateDatabaseAsync("postgres-dialect");
        await using (var dataSource = NpgsqlDataSource.Create(postgresDb))
        {
            await new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);
        }

        const string Columns = "SELECT column_name FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position";
        var expected = (await new WarehouseDb(postgresDb).RowsAsync(Columns)).Select(r => (string)r[0]!).ToList();
        Assert.Equal(expected, (await redshift.RowsAsync(Columns)).Select(r => (string)r[0]!));
        Assert.Equal(expected.Where(c => c != "loaded_at"), EventColumns.All.Select(c => c.Name));
    }

    [Fact]
    public async Task AnEmptyDatabaseGetsTheRedshiftTablesWithVarcharWidthsFromTheColumnDefinition()
    {
        var warehouse = await MigratedAsync();

        var tables = (await warehouse.RowsAsync("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")).Select(r => (string)r[0]!);
        Assert.Equal(["consumer_load_lock", "consumer_schema_migrations", "dead_letters", "events", "plan_views", "regulations", "shard_checkpoints", "stream_identities"], tables);
        var columns = (await warehouse.RowsAsync("SELECT column_name, data_type, character_maximum_length, domain_name FROM information_schema.columns WHERE table_name = 'events'"))
            .ToDictionary(r => (string)r[0]!, r => r);
        foreach (var column in EventColumns.All)
        {
            var actual = columns[column.Name];
            switch (column.Kind)
            {
                case ColumnKind.Text:
                    Assert.Equal(("character varying", column.MaxBytes), ((string)actual[1]!, (int)actual[2]!));
                    break;
                case ColumnKind.Timestamp:
                    Assert.Equal("timestamp with time zone", actual[1]);
                    break;
                default:
                    Assert.Equal("super", actual[3]);
                    break;
            }
        }
    }

    [Fact]
    public async Task MigratingAgainLeavesTheRowsAndTheVersionAlone()
    {
        var connectionString = await postgres.CreateDatabaseAsync("redshift-schema");
        await RedshiftRehearsal.PrepareDatabaseAsync(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var schema = new RedshiftSchema(dataSource, new RedshiftSql(tableAttributes: false), new FakeTimeProvider(), NullLogger<RedshiftSchema>.Instance);
        await schema.MigrateAsync(CancellationToken.None);
        var warehouse = new WarehouseDb(connectionString);
        await warehouse.ScalarAsync<int>("INSERT INTO events (message_id, loaded_at) VALUES ('kept', now()) RETURNING 1");

        await schema.MigrateAsync(CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => schema.MigrateAsync(CancellationToken.None)));

        Assert.Equal(1, await warehouse.EventCountAsync());
        Assert.Equal((long)schema.Migrations.Count, await warehouse.ScalarAsync<long>("SELECT count(*) FROM consumer_schema_migrations"));
    }

    private async Task<WarehouseDb> MigratedAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync("redshift-schema");
        await RedshiftRehearsal.PrepareDatabaseAsync(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new RedshiftSchema(dataSource, new RedshiftSql(tableAttributes: false), new FakeTimeProvider(), NullLogger<RedshiftSchema>.Instance).MigrateAsync(CancellationToken.None);
        return new WarehouseDb(connectionString);
    }
}
