using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Plans;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// Plans whose source, event and property names are hostile (random Unicode, quotes, backslashes, comment and
/// statement marks, NUL, lone surrogates, very long, reserved words, names equal once slugged): the generated views are
/// created on a real PostgreSQL, each reads exactly the event it names and nothing else, and the schema holds nothing
/// but the warehouse's own objects and the recorded views. The Redshift statements are checked as text: each literal
/// read by Redshift's rules (backslash escapes) ends where the statement expects and stands for the name.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed class PlanViewsFuzzTests(PostgresServer postgres)
{
    private static readonly string[] Hostile =
    [
        "select", "id", "event", "event_text", "context", "tracks", "users", "events", "plan_views", "Order Id", "order_id", "ORDER-ID", "order__id",
        "'; DROP TABLE events; --", "\"; DROP TABLE events; --", "a\\", "\\'", "'", "\"", "''", "/*", "*/ SELECT 1", "$1", "$$", "E'\\x00'", "",
        "\0", "a\0b", "\uD800", "x\uDC00", "😀 emoji", "注文完了", "Ordre passé", "ǅ", "\n\t\r", "1st", "_", "__",
        new string('x', 300), new string('é', 100), new string('\'', 70), string.Concat(Enumerable.Repeat("ab_", 50)),
    ];

    private static string RandomName(Random random)
    {
        if (random.Next(3) == 0)
        {
            return Hostile[random.Next(Hostile.Length)];
        }

        var text = new StringBuilder();
        for (var i = random.Next(0, 40); i > 0; i--)
        {
            text.Append(random.Next(6) switch
            {
                0 => (char)random.Next(0, 0x80),
                1 => (char)random.Next(0x80, 0xD800),
                2 => (char)random.Next(0xD800, 0xE000),
                3 => "'\"\\;-_ "[random.Next(7)],
                _ => (char)random.Next('a', 'z' + 1),
            });
        }

        return text.ToString();
    }

    private static readonly string[] Types = ["string", "integer", "number", "boolean", "object", "array", "null", "date-time"];

    private static JsonObject Plan(Random random)
    {
        var track = new JsonObject();
        for (var e = random.Next(1, 6); e > 0; e--)
        {
            var properties = new JsonObject();
            for (var p = random.Next(0, 8); p > 0; p--)
            {
                var type = Types[random.Next(Types.Length)];
                properties[RandomName(random)] = type == "date-time" ? new JsonObject { ["type"] = "string", ["format"] = "date-time" } : new JsonObject { ["type"] = type };
            }

            track[RandomName(random) is { Length: > 0 } name ? name : "e"] = new JsonObject { ["properties"] = new JsonObject { ["properties"] = properties } };
        }

        return new JsonObject { ["track"] = track };
    }

    private static JsonNode? RandomValue(Random random) => random.Next(8) switch
    {
        0 => "2026-01-02T03:04:05Z",
        1 => "2026-13-45T99:99:99Z",
        2 => 12,
        3 => 1.5e300,
        4 => true,
        5 => new JsonObject { ["k"] = "v" },
        6 => new JsonArray(1, "two"),
        _ => "text 'with' \"quotes\" \\",
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task HostileNamesGiveValidViewsThatReadExactlyTheirEventAndInjectNothing(int seed)
    {
        var random = new Random(seed);
        var sources = new[] { "web", RandomName(random), "Web App", "'; --" }.Where(s => s.Length > 0).Distinct().ToArray();
        var plans = sources.Select(s => (Source: s, Plan: PlanDocument.Parse(Plan(random), "fuzz"))).ToList();
        var views = PlanViews.For(plans, redshift: false);
        var connectionString = await postgres.CreateDatabaseAsync("planfuzz");
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            var sync = new PlanViewSync(views, redshift: false, new FakeTimeProvider(), NullLogger<PlanViewSync>.Instance);
            await new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance, sync).MigrateAsync(CancellationToken.None);
        }

        var warehouse = new WarehouseDb(connectionString);
        var storable = plans.Where(p => PlanViews.Storable(p.Source))
            .SelectMany(p => p.Plan.Tracks!.Keys.Where(PlanViews.Storable).Select(e => (p.Source, Event: e, Schema: p.Plan.Tracks[e])))
            .ToList();
        Assert.Equal(storable.Count, views.Count);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            var n = 0;
            foreach (var (source, name, schema) in storable)
            {
                var properties = new JsonObject();
                foreach (var (key, _) in ((JsonObject)schema!["properties"]!).Where(p => PlanViews.Storable(p.Key) && !p.Key.Contains('\0', StringComparison.Ordinal)))
                {
                    properties[key] = RandomValue(random);
                }

                await using var command = new NpgsqlCommand(
                    "INSERT INTO events (message_id, type, event, source, properties, loaded_at) VALUES (@id, 'track', @event, @source, @properties::jsonb, now())", connection);
                command.Parameters.AddWithValue("id", $"m{n++}");
                command.Parameters.AddWithValue("event", name);
                command.Parameters.AddWithValue("source", source);
                command.Parameters.AddWithValue("properties", properties.ToJsonString());
                await command.ExecuteNonQueryAsync();
            }
        }

        foreach (var view in views)
        {
            Assert.Matches("^[a-z0-9_]{1,63}$", view.Name);
            var rows = await warehouse.RowsAsync($"SELECT * FROM \"{view.Name}\"");
            Assert.True(rows.Count == 1, $"{view.Name} ({view.Source} / {view.Event}) has {rows.Count} rows");
            var columns = await warehouse.RowsAsync($"SELECT column_name FROM information_schema.columns WHERE table_name = '{view.Name}'");
            Assert.All(columns, c => Assert.Matches("^[a-z0-9_]{1,63}$", (string)c[0]!));
        }

        var relations = (await warehouse.RowsAsync("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')"))
            .Select(r => (string)r[0]!).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(PlanViews.FixedNames.Where(relations.Contains).Concat(views.Select(v => v.Name)).ToHashSet(StringComparer.Ordinal), relations);
        Assert.Equal((long)storable.Count, await warehouse.ScalarAsync<long>("SELECT count(*) FROM events"));
        Assert.Equal((long)views.Count, await warehouse.ScalarAsync<long>("SELECT count(*) FROM plan_views"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RedshiftStatementsKeepEachNameInsideItsLiteral(int seed)
    {
        var random = new Random(seed);
        var sources = new[] { "web", RandomName(random), "a\\", "'; --" }.Where(s => s.Length > 0).Distinct().ToArray();
        var plans = sources.Select(s => (Source: s, Plan: PlanDocument.Parse(Plan(random), "fuzz"))).ToList();

        foreach (var view in PlanViews.For(plans, redshift: true))
        {
            Assert.Matches("^[a-z0-9_]{1,127}$", view.Name);
            const string Filter = "\nWHERE type = 'track' AND source = ";
            var (source, end) = ReadRedshiftLiteral(view.Statement, view.Statement.LastIndexOf(Filter, StringComparison.Ordinal) + Filter.Length);
            Assert.Equal(view.Source, source);
            Assert.StartsWith(" AND event = '", view.Statement[end..], StringComparison.Ordinal);
            var (name, last) = ReadRedshiftLiteral(view.Statement, end + " AND event = ".Length);
            Assert.Equal(view.Event, name);
            Assert.Equal(view.Statement.Length, last);
            Assert.DoesNotContain('\0', view.Statement);
        }
    }

    /// <summary>A literal as Redshift reads it: <c>''</c> and a backslash escape; the text and where the literal ends.</summary>
    private static (string Text, int End) ReadRedshiftLiteral(string sql, int start)
    {
        Assert.Equal('\'', sql[start]);
        var text = new StringBuilder();
        for (var i = start + 1; i < sql.Length; i++)
        {
            if (sql[i] == '\\')
            {
                text.Append(sql[++i]);
            }
            else if (sql[i] == '\'')
            {
                if (i + 1 < sql.Length && sql[i + 1] == '\'')
                {
                    text.Append('\'');
                    i++;
                }
                else
                {
                    return (text.ToString(), i + 1);
                }
            }
            else
            {
                text.Append(sql[i]);
            }
        }

        throw new InvalidOperationException("the literal does not end");
    }
}
