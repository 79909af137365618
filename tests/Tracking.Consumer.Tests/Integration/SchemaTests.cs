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
        Assert.Equal(["consumer_schema_migrations", "dead_letters", "events", "regulations", "shard_leases", "stream_identities"], tables);
        Assert.Equal(PostgresSchema.LatestVersion, await warehouse.ScalarAsync<int>("SELECT max(version) FROM consumer_schema_migrations"));
        var columns = (await warehouse.RowsAsync("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'events'"))
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Equal("timestamp with time zone", columns["received_at"]);
        Assert.Equal("timestamp with time zone", columns["loaded_at"]);
        Assert.Equal("jsonb", columns["properties"]);
        Assert.Equal("bytea", (await warehouse.RowsAsync("SELECT data_type FROM information_schema.columns WHERE table_name = 'dead_letters' AND column_name = 'payload'")).Single()[0]);
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
}
