using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// <c>POST /dead-letters/redrive</c> on the real consumer process over PostgreSQL: dead letters an older consumer
/// wrote (a KPL aggregated record it could not read, a record the warehouse already holds, one that still is not
/// JSON) are read again; what loads now is in <c>events</c> and gone from <c>dead_letters</c>, in one transaction.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed partial class RedriveTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private const string AdminKey = "consumer-redrive-key-0123456789";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task DeadLettersThatLoadNowMoveToEventsOnceAndTheRestStayWithTodaysReason()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("redrive"));
        var live = TestEvent.Many(users: 2, perUser: 2, prefix: "live").ToList();
        await stream.PutEventsAsync(live);
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-redrive");
        settings["Consumer:AdminKey"] = AdminKey;
        await using var consumer = ConsumerProcess.Start(settings);
        await warehouse.WaitForEventCountAsync(live.Count, Patience, consumer);
        using var http = new HttpClient { BaseAddress = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value) };

        // What a consumer before KPL de-aggregation dead-lettered: an aggregate of three events, whole.
        var aggregate = new AggregatedRecordBuilder();
        foreach (var e in TestEvent.Many(users: 3, perUser: 1, prefix: "kpl"))
        {
            aggregate.Add(e.UserId, e.ToJson());
        }

        await InsertDeadLetterAsync(warehouse, stream.Name, "100", "not JSON: '0xF3' is an invalid start of a value", aggregate.Build());
        await InsertDeadLetterAsync(warehouse, stream.Name, "101", "old rule: held already", live[0].ToJson());
        await InsertDeadLetterAsync(warehouse, stream.Name, "102", "not JSON: truncated", Encoding.UTF8.GetBytes("{\"type\":\"track\""));

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var dryRun = await RedriveAsync(http, """{"dryRun":true}""");
        Assert.Equal((3, 2, 3, 1, 1), Counts(dryRun));
        Assert.Equal(3L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        Assert.Equal(live.Count, await warehouse.EventCountAsync());

        var onlyOld = await RedriveAsync(http, """{"reason":"old rule:"}""");
        Assert.Equal((1, 1, 0, 1, 0), Counts(onlyOld));

        var all = await RedriveAsync(http, "");
        Assert.Equal((2, 1, 3, 0, 1), Counts(all));
        Assert.Contains("not JSON", all["stillFailingReasons"]!.AsObject().Single().Key, StringComparison.Ordinal);
        Assert.Equal(live.Count + 3, await warehouse.EventCountAsync());
        Assert.Superset(new HashSet<string> { "kpl-0-0", "kpl-1-0", "kpl-2-0" }, await warehouse.MessageIdsAsync());
        var left = await warehouse.RowsAsync("SELECT sequence_number, reason FROM dead_letters");
        Assert.Equal("102", (string)Assert.Single(left)[0]!);
        Assert.Equal("not JSON: truncated", (string)left[0][1]!);

        var again = await RedriveAsync(http, "{}");
        Assert.Equal((1, 0, 0, 0, 1), Counts(again));
        Assert.Equal(live.Count + 3, await warehouse.EventCountAsync());
    }

    [Fact]
    public async Task ARedriveAsksForTheAdminKeyAndRefusesABodyItCannotReadWithAProblem()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("redrive-bad"));
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-redrive-bad");
        settings["Consumer:AdminKey"] = AdminKey;
        await using var consumer = ConsumerProcess.Start(settings);
        using var http = new HttpClient { BaseAddress = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value) };
        await InsertDeadLetterWhenMigratedAsync(warehouse, stream.Name);

        using (var anonymous = await http.PostAsync(new Uri("/dead-letters/redrive", UriKind.Relative), new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        foreach (var (body, field) in new[]
        {
            ("{\"reason\":", "JSON"),
            ("[1,2]", "JSON"),
            ("null", "null"),
            ("{\"reasn\":\"typo\"}", "reasn"),
            ("{\"from\":\"yesterday\"}", "from"),
            ("{\"from\":\"2026-02-01T00:00:00Z\",\"to\":\"2026-01-01T00:00:00Z\"}", "to"),
            ("{\"reason\":\"\"}", "reason"),
            ("{\"reason\":\"a\\u0000b\"}", "reason"),
            ("\"\\ud800\"", "JSON"),
        })
        {
            using var response = await http.PostAsync(new Uri("/dead-letters/redrive", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(field, text, StringComparison.Ordinal);
        }

        using var huge = await http.PostAsync(new Uri("/dead-letters/redrive", UriKind.Relative), new StringContent($"{{\"reason\":\"{new string('x', 20_000)}\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Equal(1L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
    }

    private static (long Examined, long Loaded, long Inserted, long Duplicates, long StillFailing) Counts(JsonNode result) =>
        (Long(result, "examined"), Long(result, "loaded"), Long(result, "eventsInserted"), Long(result, "duplicates"), Long(result, "stillFailing"));

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    private static async Task<JsonNode> RedriveAsync(HttpClient http, string body)
    {
        using var response = await http.PostAsync(new Uri("/dead-letters/redrive", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static Task InsertDeadLetterWhenMigratedAsync(WarehouseDb warehouse, string stream) =>
        Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    await InsertDeadLetterAsync(warehouse, stream, "7", "not JSON: x", [0x78]);
                    return true;
                }
                catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
                {
                    return false;
                }
            },
            "the consumer has created the dead_letters table",
            Patience);

    private static async Task InsertDeadLetterAsync(WarehouseDb warehouse, string stream, string sequence, string reason, byte[] payload)
    {
        await using var connection = new NpgsqlConnection(warehouse.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO dead_letters (stream, shard_id, sequence_number, reason, payload, failed_at) VALUES ($1, 'shardId-000000000000', $2, $3, $4, now())",
            connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = stream });
        insert.Parameters.Add(new NpgsqlParameter { Value = sequence });
        insert.Parameters.Add(new NpgsqlParameter { Value = reason });
        insert.Parameters.Add(new NpgsqlParameter { Value = payload });
        await insert.ExecuteNonQueryAsync();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
