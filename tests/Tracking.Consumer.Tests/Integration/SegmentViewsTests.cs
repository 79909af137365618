using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// The Segment-shaped views, created by the consumer's migrations, queried the way a Segment-schema dashboard or dbt
/// model queries them: sessions by <c>anonymous_id</c> and 30-minute gaps, daily active users, a funnel, the users
/// table. Run on PostgreSQL with each dialect's views: the PostgreSQL dialect's, and the Redshift dialect's rehearsed
/// on PostgreSQL (see <see cref="RedshiftRehearsal"/>); the Redshift text itself is checked in
/// <c>Unit/SegmentViewsSqlTests</c>.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed class SegmentViewsTests(PostgresServer postgres)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Dialects => new() { "postgres", "redshift" };

    private async Task<WarehouseDb> WarehouseAsync(string dialect)
    {
        var connectionString = await postgres.CreateDatabaseAsync("views");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        if (dialect == "redshift")
        {
            await RedshiftRehearsal.PrepareDatabaseAsync(connectionString);
            await new RedshiftSchema(dataSource, new RedshiftSql(tableAttributes: false), new FakeTimeProvider(), NullLogger<RedshiftSchema>.Instance).MigrateAsync(CancellationToken.None);
        }
        else
        {
            await new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);
        }

        await InsertAsync(connectionString);
        return new WarehouseDb(connectionString);
    }

    /// <summary>Two visitors: the first browses, is identified twice, and buys in its second session; the second only looks.</summary>
    private static async Task InsertAsync(string connectionString)
    {
        const string browser = """{"ip":"198.51.100.7","userAgent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0","library":{"name":"analytics.js","version":"npm:next-1.84.3"},"page":{"path":"/shoes","url":"https://shop.example/shoes","referrer":"https://www.google.com/","title":"Shoes","search":""},"campaign":{"name":"winter","source":"newsletter","medium":"email"},"locale":"en-GB"}""";
        var rows = new (string Id, string Type, string? Event, string? Name, string? UserId, string Anonymous, string? GroupId, string? PreviousId, int Minutes, string? Properties, string? Traits)[]
        {
            ("p1", "page", null, "Shoes", null, "anon-1", null, null, 0, """{"path":"/shoes","url":"https://shop.example/shoes","title":"Shoes","category":"Catalog"}""", null),
            ("p2", "page", null, "Boots", null, "anon-1", null, null, 5, """{"path":"/boots","url":"https://shop.example/boots"}""", null),
            ("t1", "track", "Product Viewed", null, null, "anon-1", null, null, 6, """{"sku":"B-42","price":89.5}""", null),
            ("i1", "identify", null, null, "user-1", "anon-1", null, null, 10, null, """{"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"}"""),
            ("p3", "page", null, "Checkout", "user-1", "anon-1", null, null, 50, """{"path":"/checkout","url":"https://shop.example/checkout"}""", null),
            ("t2", "track", "Order Completed", null, "user-1", "anon-1", null, null, 52, """{"revenue":89.5}""", null),
            ("i2", "identify", null, null, "user-1", "anon-1", null, null, 60, null, """{"email":"ada@new.example","plan":"pro"}"""),
            ("g1", "group", null, null, "user-1", "anon-1", "acme", null, 61, null, """{"name":"Acme","industry":"Retail","employees":120}"""),
            ("a1", "alias", null, null, "user-1", "anon-1", null, "anon-1", 62, null, null),
            ("s1", "screen", null, "Settings", "user-1", "anon-1", null, null, 63, """{"category":"Account"}""", null),
            ("t3", "track", "Product Viewed", null, null, "anon-2", null, null, 24 * 60, """{"sku":"S-1"}""", null),
        };
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var row in rows)
        {
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO events (message_id, type, event, name, user_id, anonymous_id, group_id, previous_id, "timestamp", received_at, source, context, properties, traits, loaded_at)
                VALUES (@id, @type, @event, @name, @user, @anonymous, @group, @previous, @at, @at, 'web', @context::jsonb, @properties::jsonb, @traits::jsonb, @at)
                """,
                connection);
            command.Parameters.AddWithValue("id", row.Id);
            command.Parameters.AddWithValue("type", row.Type);
            command.Parameters.Add(new NpgsqlParameter("event", NpgsqlDbType.Text) { Value = (object?)row.Event ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Text) { Value = (object?)row.Name ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("user", NpgsqlDbType.Text) { Value = (object?)row.UserId ?? DBNull.Value });
            command.Parameters.AddWithValue("anonymous", row.Anonymous);
            command.Parameters.Add(new NpgsqlParameter("group", NpgsqlDbType.Text) { Value = (object?)row.GroupId ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("previous", NpgsqlDbType.Text) { Value = (object?)row.PreviousId ?? DBNull.Value });
            command.Parameters.AddWithValue("at", Start.AddMinutes(row.Minutes));
            command.Parameters.AddWithValue("context", browser);
            command.Parameters.Add(new NpgsqlParameter("properties", NpgsqlDbType.Text) { Value = (object?)row.Properties ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("traits", NpgsqlDbType.Text) { Value = (object?)row.Traits ?? DBNull.Value });
            await command.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task OnRedshiftARowWhoseContextIsTooLongToSerializeGivesNullColumnsNotAFailedQuery()
    {
        var warehouse = await WarehouseAsync("redshift");
        var padding = new string('x', SegmentViews.RedshiftSerializeLimit);
        await warehouse.ScalarAsync<int>(
            $$"""INSERT INTO events (message_id, type, event, anonymous_id, context, loaded_at) VALUES ('big', 'track', 'Big', 'anon-3', '{"ip":"203.0.113.9","padding":"{{padding}}"}', now()) RETURNING 1""");

        var rows = await warehouse.RowsAsync("SELECT id, context_ip FROM tracks ORDER BY id");

        Assert.Equal([["big", null], ["t1", "198.51.100.7"], ["t2", "198.51.100.7"], ["t3", "198.51.100.7"]], rows);
        Assert.Equal(4L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM tracks"));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task EachViewHasSegmentsColumnNames(string dialect)
    {
        var warehouse = await WarehouseAsync(dialect);

        var columns = (await warehouse.RowsAsync("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"))
            .GroupBy(r => (string)r[0]!, r => (string)r[1]!)
            .ToDictionary(g => g.Key, g => g.ToHashSet(StringComparer.Ordinal));

        string[] common = ["id", "anonymous_id", "user_id", "received_at", "sent_at", "original_timestamp", "timestamp", "uuid_ts", "context_ip", "context_user_agent", "context_library_name", "context_page_url", "context_page_path", "context_campaign_source"];
        foreach (var view in new[] { "tracks", "identifies", "pages", "screens", "groups", "aliases" })
        {
            Assert.True(columns.ContainsKey(view), $"no view {view}");
            Assert.Empty(common.Except(columns[view]));
        }

        Assert.Superset(new HashSet<string> { "event", "event_text", "properties" }, columns["tracks"]);
        Assert.Superset(new HashSet<string> { "name", "path", "referrer", "search", "title", "url", "category" }, columns["pages"]);
        Assert.Superset(new HashSet<string> { "email", "first_name", "last_name", "traits" }, columns["identifies"]);
        Assert.Superset(new HashSet<string> { "group_id", "name", "industry", "employees" }, columns["groups"]);
        Assert.Contains("previous_id", columns["aliases"]);
        Assert.Superset(new HashSet<string> { "id", "received_at", "email", "first_name", "traits" }, columns["users"]);
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task TracksSlugTheEventNameKeepItsTextAndFlattenTheContext(string dialect)
    {
        var warehouse = await WarehouseAsync(dialect);

        var row = (await warehouse.RowsAsync(
            "SELECT event, event_text, context_ip, context_user_agent, context_library_name, context_page_url, context_campaign_medium, context_locale, context_os_name FROM tracks WHERE id = 't2'")).Single();

        Assert.Equal(["order_completed", "Order Completed", "198.51.100.7", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0", "analytics.js", "https://shop.example/shoes", "email", "en-GB", null], row);
        Assert.Equal(["Checkout", "/checkout", "https://shop.example/checkout"], (await warehouse.RowsAsync("SELECT name, path, url FROM pages WHERE id = 'p3'")).Single());
        Assert.Equal(["acme", "Acme", "Retail", "120"], (await warehouse.RowsAsync("SELECT group_id, name, industry, employees FROM groups")).Single());
        Assert.Equal(["anon-1", "user-1"], (await warehouse.RowsAsync("SELECT previous_id, user_id FROM aliases")).Single());
        Assert.Equal(["Settings", "Account"], (await warehouse.RowsAsync("SELECT name, category FROM screens")).Single());
        Assert.Equal(3L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM tracks"));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task SessionsByAnonymousIdAndThirtyMinuteGapsCountAsADbtModelCountsThem(string dialect)
    {
        var warehouse = await WarehouseAsync(dialect);

        var sessions = await warehouse.RowsAsync(
            """
            WITH activity AS (
                SELECT anonymous_id, "timestamp" FROM pages
                UNION ALL
                SELECT anonymous_id, "timestamp" FROM tracks
            ), marked AS (
                SELECT anonymous_id,
                       CASE WHEN LAG("timestamp") OVER (PARTITION BY anonymous_id ORDER BY "timestamp") IS NULL
                              OR EXTRACT(EPOCH FROM ("timestamp" - LAG("timestamp") OVER (PARTITION BY anonymous_id ORDER BY "timestamp"))) > 30 * 60
                            THEN 1 ELSE 0 END AS session_start
                FROM activity
            )
            SELECT anonymous_id, SUM(session_start) AS sessions FROM marked GROUP BY anonymous_id ORDER BY anonymous_id
            """);

        Assert.Equal([["anon-1", 2L], ["anon-2", 1L]], sessions.Select(r => new object?[] { r[0], Convert.ToInt64(r[1], System.Globalization.CultureInfo.InvariantCulture) }));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task DailyActiveUsersAndAFunnelComeOutOfTracks(string dialect)
    {
        var warehouse = await WarehouseAsync(dialect);

        var daily = await warehouse.RowsAsync(
            """SELECT DATE_TRUNC('day', "timestamp") AS day, COUNT(DISTINCT COALESCE(user_id, anonymous_id)) AS active FROM tracks GROUP BY 1 ORDER BY 1""");
        var funnel = (await warehouse.RowsAsync(
            """
            SELECT COUNT(DISTINCT viewed.anonymous_id) AS viewed, COUNT(DISTINCT ordered.anonymous_id) AS ordered
            FROM tracks viewed
            LEFT JOIN tracks ordered
              ON ordered.anonymous_id = viewed.anonymous_id AND ordered.event = 'order_completed' AND ordered."timestamp" > viewed."timestamp"
            WHERE viewed.event = 'product_viewed'
            """)).Single();

        // anon-1 (its two tracks: one before and one after it was identified) on the first day, anon-2 on the next.
        Assert.Equal([2L, 1L], daily.Select(r => (long)r[1]!));
        Assert.Equal([2L, 1L], funnel.Select(v => (long)v!));
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task UsersHoldOneRowPerIdentifiedUserWithItsLatestTraits(string dialect)
    {
        var warehouse = await WarehouseAsync(dialect);

        var user = (await warehouse.RowsAsync("SELECT id, email, first_name, last_name FROM users")).Single();

        Assert.Equal("user-1", user[0]);
        Assert.Equal("ada@new.example", user[1]);
        if (dialect == "postgres")
        {
            // PostgreSQL merges: a trait the latest call left out keeps its earlier value, as Segment's users table does.
            Assert.Equal(["Ada", "Lovelace"], user[2..]);
        }
        else
        {
            // Redshift takes the latest identify call's traits as they are.
            Assert.Equal([null, null], user[2..]);
        }
    }
}
