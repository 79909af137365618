using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Plans;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// The per-event views on a real PostgreSQL, made by the consumer's migration step from plans: their column types,
/// the values they read back, NULL for values of another type (a flag-mode plan lets them in), how they follow a
/// changed plan, and generated SQL that stays valid and exact for any name a plan may hold.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed class PlanViewsTests(PostgresServer postgres)
{
    private const string OrderPlan = """
        {"track": {"Order Completed": {"properties": {"type": "object", "properties": {
            "orderId": {"type": "string"},
            "total": {"type": "number"},
            "items": {"type": "integer"},
            "gift": {"type": "boolean"},
            "placedAt": {"type": "string", "format": "date-time"},
            "address": {"type": "object"},
            "tags": {"type": "array"},
            "coupon": {"type": ["string", "null"]},
            "note": {}
        }}}}}
        """;

    private static PlanViewSync Sync(params (string Source, string Plan)[] plans) => new(
        PlanViews.For(plans.Select(p => (p.Source, PlanDocument.Parse(JsonNode.Parse(p.Plan), "test"))), redshift: false),
        redshift: false,
        new FakeTimeProvider(),
        NullLogger<PlanViewSync>.Instance);

    private static async Task MigrateAsync(string connectionString, PlanViewSync sync)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance, sync).MigrateAsync(CancellationToken.None);
    }

    private static async Task InsertAsync(string connectionString, string id, string source, string @event, string? properties)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "INSERT INTO events (message_id, type, event, anonymous_id, source, properties, context, received_at, loaded_at) VALUES (@id, 'track', @event, 'anon', @source, @properties::jsonb, '{\"ip\":\"192.0.2.1\"}', now(), now())",
            connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("event", @event);
        command.Parameters.AddWithValue("source", source);
        command.Parameters.Add(new NpgsqlParameter("properties", NpgsqlDbType.Text) { Value = (object?)properties ?? DBNull.Value });
        await command.ExecuteNonQueryAsync();
    }

    private async Task<WarehouseDb> WarehouseAsync(PlanViewSync sync)
    {
        var connectionString = await postgres.CreateDatabaseAsync("planviews");
        await MigrateAsync(connectionString, sync);
        return new WarehouseDb(connectionString);
    }

    [Fact]
    public async Task EachPlannedEventGetsAViewWithTracksColumnsAndTypedProperties()
    {
        var warehouse = await WarehouseAsync(Sync(("web", OrderPlan)));

        var types = (await warehouse.RowsAsync("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'web_order_completed'"))
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);

        Assert.Equal("text", types["order_id"]);
        Assert.Equal("double precision", types["total"]);
        Assert.Equal("bigint", types["items"]);
        Assert.Equal("boolean", types["gift"]);
        Assert.Equal("timestamp with time zone", types["placed_at"]);
        Assert.Equal("jsonb", types["address"]);
        Assert.Equal("jsonb", types["tags"]);
        Assert.Equal("text", types["coupon"]);
        Assert.Equal("jsonb", types["note"]);
        foreach (var common in new[] { "id", "anonymous_id", "user_id", "received_at", "timestamp", "uuid_ts", "source", "event", "event_text", "context_ip", "context_page_url", "context" })
        {
            Assert.Contains(common, types.Keys);
        }

        Assert.Equal([["web_order_completed", "web", "Order Completed"]], await warehouse.RowsAsync("SELECT view_name, source, event FROM plan_views"));
    }

    [Fact]
    public async Task TypedValuesReadBackAndValuesOfAnotherTypeOrUnparsableTimesAreNull()
    {
        var warehouse = await WarehouseAsync(Sync(("web", OrderPlan)));
        await InsertAsync(warehouse.ConnectionString, "good", "web", "Order Completed",
            """{"orderId":"o-1","total":89.5,"items":3,"gift":true,"placedAt":"2026-02-28T23:30:00+01:00","address":{"city":"Leeds"},"tags":["a"],"coupon":"X","note":7}""");
        await InsertAsync(warehouse.ConnectionString, "wrong", "web", "Order Completed",
            """{"orderId":42,"total":"lots","items":1.5,"gift":"yes","placedAt":"2026-02-30T00:00:00Z","address":[1],"tags":{"a":1},"coupon":null}""");
        await InsertAsync(warehouse.ConnectionString, "edge", "web", "Order Completed",
            """{"total":1e400,"items":1e30,"placedAt":"not a time","orderId":{"x":1}}""");
        await InsertAsync(warehouse.ConnectionString, "edge2", "web", "Order Completed", """{"total":1e-400,"items":-9223372036854775807,"placedAt":"0000-01-01T00:00:00Z"}""");
        await InsertAsync(warehouse.ConnectionString, "edge3", "web", "Order Completed", """{"items":4.0,"placedAt":"2024-02-29T12:00:00.123456789Z"}""");
        await InsertAsync(warehouse.ConnectionString, "noprops", "web", "Order Completed", null);
        await InsertAsync(warehouse.ConnectionString, "array", "web", "Order Completed", "[1,2]");
        await InsertAsync(warehouse.ConnectionString, "other-source", "app", "Order Completed", """{"orderId":"o-2"}""");
        await InsertAsync(warehouse.ConnectionString, "other-event", "web", "Order Refunded", """{"orderId":"o-3"}""");

        var rows = (await warehouse.RowsAsync(
                "SELECT id, order_id, total, items, gift, placed_at, address::text, tags::text, coupon, note::text, event, event_text, context_ip FROM web_order_completed"))
            .ToDictionary(r => (string)r[0]!, r => r[1..]);

        Assert.Equal(["array", "edge", "edge2", "edge3", "good", "noprops", "wrong"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(
            ["o-1", 89.5, 3L, true, new DateTime(2026, 2, 28, 22, 30, 0, DateTimeKind.Utc), """{"city": "Leeds"}""", """["a"]""", "X", "7", "order_completed", "Order Completed", "192.0.2.1"],
            rows["good"]);
        Assert.All(rows["wrong"][..9], Assert.Null);
        Assert.All(rows["edge"][..9], Assert.Null);
        Assert.Equal([null, null, -9223372036854775807L, null, null], rows["edge2"][..5]);
        Assert.Equal(4L, rows["edge3"][2]);
        Assert.Equal(new DateTime(2024, 2, 29, 12, 0, 0, 123, DateTimeKind.Utc).AddTicks(4570), rows["edge3"][4]);
        Assert.All(rows["noprops"][..9], Assert.Null);
        Assert.All(rows["array"][..9], Assert.Null);
    }

    [Fact]
    public async Task AChangedPlanReplacesChangedViewsDropsThoseWhoseEventLeftAndKeepsViewsItDidNotMake()
    {
        var warehouse = await WarehouseAsync(Sync(("web", """{"track": {"A": {"properties": {"properties": {"x": {"type": "string"}}}}, "B": {}}}""")));
        await warehouse.ScalarAsync<int>("CREATE VIEW web_mine AS SELECT 1 AS one; SELECT 1");
        var firstHash = await warehouse.ScalarAsync<string>("SELECT definition_hash FROM plan_views WHERE view_name = 'web_a'");

        await MigrateAsync(warehouse.ConnectionString, Sync(("web", """{"track": {"A": {"properties": {"properties": {"x": {"type": "integer"}, "y": {"type": "boolean"}}}}, "C": {}}}""")));

        Assert.Equal([["web_a"], ["web_c"]], await warehouse.RowsAsync("SELECT view_name FROM plan_views ORDER BY view_name"));
        Assert.NotEqual(firstHash, await warehouse.ScalarAsync<string>("SELECT definition_hash FROM plan_views WHERE view_name = 'web_a'"));
        var views = (await warehouse.RowsAsync("SELECT table_name FROM information_schema.views WHERE table_schema = 'public'")).Select(r => (string)r[0]!).ToHashSet();
        Assert.Contains("web_c", views);
        Assert.Contains("web_mine", views);
        Assert.DoesNotContain("web_b", views);
        Assert.Equal(
            [["x", "bigint"], ["y", "boolean"]],
            await warehouse.RowsAsync("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'web_a' AND column_name IN ('x', 'y') ORDER BY column_name"));

        await MigrateAsync(warehouse.ConnectionString, Sync());
        Assert.Equal(0L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM plan_views"));
        Assert.Equal(1L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM information_schema.views WHERE table_name LIKE 'web\\_%'"));
    }

    [Fact]
    public async Task TwoStartsWithOnePlanLeaveTheViewsAsTheyWere()
    {
        var warehouse = await WarehouseAsync(Sync(("web", OrderPlan)));
        var before = await warehouse.RowsAsync("SELECT view_name, definition_hash, created_at FROM plan_views");
        var oid = await warehouse.ScalarAsync<uint>("SELECT 'web_order_completed'::regclass::oid");

        await Task.WhenAll(MigrateAsync(warehouse.ConnectionString, Sync(("web", OrderPlan))), MigrateAsync(warehouse.ConnectionString, Sync(("web", OrderPlan))));

        Assert.Equal(before, await warehouse.RowsAsync("SELECT view_name, definition_hash, created_at FROM plan_views"));
        Assert.Equal(oid, await warehouse.ScalarAsync<uint>("SELECT 'web_order_completed'::regclass::oid"));
    }

    [Fact]
    public async Task WorkersStartingTogetherOnANewPlanMakeEachViewOnce()
    {
        var connectionString = await postgres.CreateDatabaseAsync("planviews");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => MigrateAsync(connectionString, Sync(("web", OrderPlan)))));

        Assert.Equal(1L, await new WarehouseDb(connectionString).ScalarAsync<long>("SELECT count(*) FROM plan_views"));
    }

    [Fact]
    public async Task ANameSomethingElseHasRefusesTheStartNamingTheView()
    {
        var connectionString = await postgres.CreateDatabaseAsync("planviews");
        await MigrateAsync(connectionString, Sync());
        await new WarehouseDb(connectionString).ScalarAsync<int>("CREATE TABLE web_a (x int); SELECT 1");

        var error = await Assert.ThrowsAsync<SchemaClashException>(() => MigrateAsync(connectionString, Sync(("web", """{"track": {"A": {}}}"""))));

        Assert.Contains("web_a", error.Message, StringComparison.Ordinal);
        Assert.Contains("Consumer:TrackingPlans:web:Path", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await new WarehouseDb(connectionString).ScalarAsync<long>("SELECT count(*) FROM plan_views"));
    }
}
