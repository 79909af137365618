using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

[Collection(Infrastructure.Name)]
public sealed class SchemaTests(PostgresServer postgres)
{
    [Fact]
    public async Task AnEmptyDatabaseGetsEveryTableAndTheLatestVersion()
    {
        var connectionString = await postgres.CreateDatabaseAsync("schema");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        await new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);

        var warehouse = new WarehouseDb(connectionString);
        var tables = (await warehouse.RowsAsync("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")).Select(r => (string)r[0]!);
        Assert.Equal(["consumer_schema_migrations", "dead_letters", "events", "plan_views", "regulations", "shard_leases", "stream_identities"], tables);
        Assert.Equal(PostgresSchema.LatestVersion, await warehouse.ScalarAsync<int>("SELECT max(version) FROM consumer_schema_migrations"));
        var columns = (await warehouse.RowsAsync("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'events'"))
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Equal("timestamp with time zone", columns["received_at"]);
        Assert.Equal("timestamp with time zone", columns["loaded_at"]);
        Assert.Equal("jsonb", columns["properties"]);
        Assert.Equal("jsonb", columns["violations"]);
        Assert.Equal(7, PostgresSchema.Migrations.Single(m => m.Sql.Contains("ADD COLUMN violations jsonb", StringComparison.Ordinal)).Version);
        Assert.Equal("bytea", (await warehouse.RowsAsync("SELECT data_type FROM information_schema.columns WHERE table_name = 'dead_letters' AND column_name = 'payload'")).Single()[0]);
    }

    [Fact]
    public async Task TheMigratedEventsTableAndTheLoadersStagingTableHoldTheDefinedColumnsInOrder()
    {
        var connectionString = await postgres.CreateDatabaseAsync("schema");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);
        var defined = EventColumns.All.Select(c => (c.Name, c.Kind switch
        {
            ColumnKind.Text => "text",
            ColumnKind.Timestamp => "timestamp with time zone",
            _ => "jsonb",
        })).ToList();

        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var create = new NpgsqlCommand(PostgresSql.CreateStaging, connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        // Columns added by later migrations follow loaded_at, which the first one created.
        var events = await ColumnsAsync(connection, "events");
        Assert.Contains(("loaded_at", "timestamp with time zone"), events);
        Assert.Equal(defined, events.Where(c => c.Name != "loaded_at"));
        Assert.Equal(defined, await ColumnsAsync(connection, PostgresSql.StagingTable));
    }

    [Fact]
    public async Task ADatabaseAlreadyMigratedIsLeftAloneWithItsRows()
    {
        var connectionString = await postgres.CreateDatabaseAsync("schema");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var schema = new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance);
        await schema.MigrateAsync(CancellationToken.None);
        var warehouse = new WarehouseDb(connectionString);
        await warehouse.ScalarAsync<int>("INSERT INTO events (message_id, loaded_at) VALUES ('kept', now()) RETURNING 1");
        var applied = await warehouse.ScalarAsync<DateTime>("SELECT applied_at FROM consumer_schema_migrations WHERE version = 1");

        await schema.MigrateAsync(CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => schema.MigrateAsync(CancellationToken.None)));

        Assert.Equal(1, await warehouse.EventCountAsync());
        Assert.Equal(applied, await warehouse.ScalarAsync<DateTime>("SELECT applied_at FROM consumer_schema_migrations WHERE version = 1"));
        Assert.Equal(PostgresSchema.Migrations.Count, (int)await warehouse.ScalarAsync<long>("SELECT count(*) FROM consumer_schema_migrations"));
    }

    [Fact]
    public async Task ADatabaseHoldingSegmentsTablesRefusesTheMigrationNamingTheClashAndKeepsTheirRows()
    {
        var connectionString = await postgres.CreateDatabaseAsync("schema");
        var warehouse = new WarehouseDb(connectionString);
        await warehouse.ScalarAsync<int>("CREATE TABLE users (id text, email text); INSERT INTO users VALUES ('u-1', 'a@example.com'); SELECT 1");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var clash = await Assert.ThrowsAsync<SchemaClashException>(() => new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None));

        Assert.Contains("migration 3 (Segment-shaped views", clash.Message, StringComparison.Ordinal);
        Assert.Contains("\"users\"", clash.Message, StringComparison.Ordinal);
        Assert.Contains("Search Path=tracking", clash.Message, StringComparison.Ordinal);
        Assert.Equal(1L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM users"));
        Assert.Equal(0L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('events', 'consumer_schema_migrations')"));
    }

    [Fact]
    public async Task WithASchemaOfItsOwnTheConsumerMigratesBesideAnotherWarehousesTables()
    {
        var connectionString = await postgres.CreateDatabaseAsync("schema");
        var warehouse = new WarehouseDb(connectionString);
        await warehouse.ScalarAsync<int>("CREATE TABLE users (id text); CREATE TABLE pages (id text); CREATE TABLE tracks (id text); CREATE SCHEMA tracking; SELECT 1");
        await using var dataSource = NpgsqlDataSource.Create(connectionString + ";Search Path=tracking");

        await new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);

        Assert.Equal(PostgresSchema.LatestVersion, await warehouse.ScalarAsync<int>("SELECT max(version) FROM tracking.consumer_schema_migrations"));
        var views = (await warehouse.RowsAsync("SELECT table_name FROM information_schema.views WHERE table_schema = 'tracking' ORDER BY 1")).Select(r => (string)r[0]!);
        Assert.Equal(["aliases", "groups", "identifies", "pages", "screens", "tracks", "users"], views);
        Assert.Equal(3L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));
    }

    private static async Task<List<(string Name, string Type)>> ColumnsAsync(NpgsqlConnection connection, string table)
    {
        // The staging table is temporary: it lives in the connection's own pg_temp schema, not in public.
        await using var command = new NpgsqlCommand(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND (table_schema = 'public' OR table_schema = pg_my_temp_schema()::regnamespace::text) ORDER BY ordinal_position",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        var columns = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        return columns;
    }
}
