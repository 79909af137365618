using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Consumer.Regulations;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// Deleting a user's data on real PostgreSQL: its events and every dead letter holding its id go, in one
/// transaction with the row in <c>regulations</c>; a repeat finds nothing; a failure deletes nothing and says so.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed partial class RegulationTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private const string AdminKey = "consumer-regulation-key-0123456789";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 9, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task AUsersEventsAndDeadLettersGoTheRestStayAndTheDeletionIsRecorded()
    {
        var (warehouse, source) = await MigratedAsync();
        await using var _ = source;
        await InsertEventAsync(warehouse, "m1", "u1", "a1");
        await InsertEventAsync(warehouse, "m2", "u1", null);
        await InsertEventAsync(warehouse, "m3", "u2", "a1");
        await InsertEventAsync(warehouse, "m4", "u10", null);
        var aggregate = new AggregatedRecordBuilder();
        aggregate.Add("u1", Encoding.UTF8.GetBytes("""{"type":"track","userId":"u1","event":"E"}"""));
        await InsertDeadLetterAsync(warehouse, "1", aggregate.Build());
        await InsertDeadLetterAsync(warehouse, "2", Encoding.UTF8.GetBytes("""{"type":"track","userId":"u1","event":"""));
        await InsertDeadLetterAsync(warehouse, "3", Encoding.UTF8.GetBytes("""{"type":"track","userId":"u10","event":"""));
        await InsertDeadLetterAsync(warehouse, "4", Encoding.UTF8.GetBytes("""{"type":"track","userId":"u2","properties":{"note":"u1 said"}}"""));

        var regulations = new PostgresRegulations(source, new FakeTimeProvider(Now), NullLogger<PostgresRegulations>.Instance);
        var first = await regulations.DeleteAsync(new RegulationRequest(UserId: "u1", RequestedBy: "ticket DPO-7"), CancellationToken.None);

        Assert.Equal((RegulationKinds.Completed, 2L, 2L), (first.Outcome, first.EventsDeleted, first.DeadLettersDeleted));
        Assert.Equal(["m3", "m4"], (await warehouse.RowsAsync("SELECT message_id FROM events ORDER BY 1")).Select(r => (string)r[0]!));
        Assert.Equal(["3", "4"], (await warehouse.RowsAsync("SELECT sequence_number FROM dead_letters ORDER BY 1")).Select(r => (string)r[0]!));
        var recorded = Assert.Single(await warehouse.RowsAsync("SELECT id, action, id_kind, subject, requested_by, requested_at, outcome, events_deleted, dead_letters_deleted, error FROM regulations"));
        Assert.Equal([first.Id, "delete", "userId", "u1", "ticket DPO-7", Now.UtcDateTime, "completed", 2L, 2L, null], recorded);

        var again = await regulations.DeleteAsync(new RegulationRequest(UserId: "u1", RequestedBy: "ticket DPO-7"), CancellationToken.None);
        Assert.Equal((RegulationKinds.Completed, 0L, 0L), (again.Outcome, again.EventsDeleted, again.DeadLettersDeleted));
        Assert.Equal(2, (await regulations.ListAsync(CancellationToken.None)).Regulations.Count);
        Assert.Equal(2, await warehouse.EventCountAsync());
    }

    [Fact]
    public async Task AnAnonymousIdIsMatchedOnItsOwnColumnAndAnEscapedFormOfItInADeadLetter()
    {
        var (warehouse, source) = await MigratedAsync();
        await using var _ = source;
        await InsertEventAsync(warehouse, "m1", "u1", "zoë-device");
        await InsertEventAsync(warehouse, "m2", "zoë-device", null);
        await InsertDeadLetterAsync(warehouse, "1", Encoding.UTF8.GetBytes("""{"anonymousId":"zo\u00eb-device","event":"""));
        await InsertDeadLetterAsync(warehouse, "2", Encoding.UTF8.GetBytes("""{"anonymousId":"zoë-device","event":"""));
        await InsertDeadLetterAsync(warehouse, "3", Encoding.UTF8.GetBytes("""{"anonymousId":"zo\u00EB-device","event":"""));

        var result = await new PostgresRegulations(source, new FakeTimeProvider(Now), NullLogger<PostgresRegulations>.Instance)
            .DeleteAsync(new RegulationRequest(AnonymousId: "zoë-device", RequestedBy: "dpo@example.com"), CancellationToken.None);

        Assert.Equal((1L, 3L), (result.EventsDeleted, result.DeadLettersDeleted));
        Assert.Equal("m2", await warehouse.ScalarAsync<string>("SELECT message_id FROM events"));
    }

    [Fact]
    public async Task AnIdThatLooksLikeSqlIsOnlyAValue()
    {
        var (warehouse, source) = await MigratedAsync();
        await using var _ = source;
        await InsertEventAsync(warehouse, "m1", "u1", null);
        await InsertDeadLetterAsync(warehouse, "1", Encoding.UTF8.GetBytes("""{"userId":"u1"}"""));

        var result = await new PostgresRegulations(source, new FakeTimeProvider(Now), NullLogger<PostgresRegulations>.Instance)
            .DeleteAsync(new RegulationRequest(UserId: "x' OR '1'='1", RequestedBy: "me"), CancellationToken.None);

        Assert.Equal((0L, 0L), (result.EventsDeleted, result.DeadLettersDeleted));
        Assert.Equal(1, await warehouse.EventCountAsync());
        Assert.Equal(1L, await warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
    }

    [Fact]
    public async Task ADeletionThatFailsDeletesNothingAndIsRecordedAsFailed()
    {
        var (warehouse, source) = await MigratedAsync();
        await using var _ = source;
        await InsertEventAsync(warehouse, "m1", "u1", null);
        await warehouse.ScalarAsync<int>("ALTER TABLE dead_letters RENAME TO dead_letters_elsewhere; SELECT 1");

        var result = await new PostgresRegulations(source, new FakeTimeProvider(Now), NullLogger<PostgresRegulations>.Instance)
            .DeleteAsync(new RegulationRequest(UserId: "u1", RequestedBy: "me"), CancellationToken.None);

        Assert.Equal(RegulationKinds.Failed, result.Outcome);
        Assert.Contains("dead_letters", result.Error, StringComparison.Ordinal);
        Assert.Equal(1, await warehouse.EventCountAsync());
        Assert.Equal(["failed", 0L], Assert.Single(await warehouse.RowsAsync("SELECT outcome, events_deleted FROM regulations")));
    }

    [Fact]
    public async Task TheConsumersAdminEndpointRunsADeletionBehindTheAdminKeyAndRefusesABadRequest()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("regulation-http"));
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-regulation");
        settings["Consumer:AdminKey"] = AdminKey;
        await using var consumer = ConsumerProcess.Start(settings);
        using var http = new HttpClient { BaseAddress = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), TimeSpan.FromSeconds(60))).Groups[1].Value) };
        await WhenMigratedAsync(() => InsertEventAsync(warehouse, "m1", "u1", null));

        using (var anonymous = await http.PostAsync(new Uri("/regulations", UriKind.Relative), Json("""{"userId":"u1","requestedBy":"me"}""")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        foreach (var (body, field) in new[]
        {
            ("""{"userId":"u1"}""", "requestedBy"),
            ("""{"requestedBy":"me"}""", "userId"),
            ("""{"userId":"u1","anonymousId":"a1","requestedBy":"me"}""", "userId"),
            ("""{"user":"u1","requestedBy":"me"}""", "user"),
            ("""{"userId":""" , "JSON"),
        })
        {
            using var refused = await http.PostAsync(new Uri("/regulations", UriKind.Relative), Json(body));
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)refused.StatusCode} {text}");
            Assert.Contains(field, text, StringComparison.Ordinal);
        }

        using var response = await http.PostAsync(new Uri("/regulations", UriKind.Relative), Json("""{"userId":"u1","requestedBy":"ticket 42"}"""));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("completed", 1L, 0L), (answer["outcome"]!.GetValue<string>(), answer["eventsDeleted"]!.GetValue<long>(), answer["deadLettersDeleted"]!.GetValue<long>()));
        Assert.Equal(0, await warehouse.EventCountAsync());

        var list = JsonNode.Parse(await http.GetStringAsync(new Uri("/regulations", UriKind.Relative)))!;
        Assert.Equal("ticket 42", list["regulations"]![0]!["requestedBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task AFailureNoHandlerCatchesIsA500ProblemDocumentAndAnUnknownPathA404One()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("regulation-500"));
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-regulation-500");
        settings["Consumer:AdminKey"] = AdminKey;
        await using var consumer = ConsumerProcess.Start(settings);
        using var http = new HttpClient { BaseAddress = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), TimeSpan.FromSeconds(60))).Groups[1].Value) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await WhenMigratedAsync(() => warehouse.ScalarAsync<int>("DROP TABLE regulations; SELECT 1"));

        using var failed = await http.GetAsync(new Uri("/regulations", UriKind.Relative));
        var problem = await failed.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(500, JsonNode.Parse(problem)!["status"]!.GetValue<int>());
        Assert.DoesNotContain("regulations", problem, StringComparison.Ordinal);

        using var missing = await http.GetAsync(new Uri("/no-such-endpoint", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task MutatedRequestBodiesGetA4xxOrADeletionAndNeverAServerErrorOrAnotherUsersRows()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("regulation-fuzz"));
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-regulation-fuzz");
        settings["Consumer:AdminKey"] = AdminKey;
        await using var consumer = ConsumerProcess.Start(settings);
        using var http = new HttpClient { BaseAddress = new Uri((await consumer.WaitForOutputAsync(ListeningLine(), TimeSpan.FromSeconds(60))).Groups[1].Value) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await WhenMigratedAsync(() => InsertEventAsync(warehouse, "m-keep", "keeper-0000", null));
        var wrong = new List<string>();

        foreach (var body in Tracking.Testing.Fuzzing.BodyMutations.Generate(seed, 200, """{"userId":"u1","requestedBy":"me"}""", """{"anonymousId":"a1","requestedBy":"me"}"""))
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(new Uri("/regulations", UriKind.Relative), content);
            if ((int)response.StatusCode >= 500)
            {
                wrong.Add($"{(int)response.StatusCode} for {Convert.ToBase64String(body[..Math.Min(body.Length, 200)])}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(wrong.Count == 0, $"seed {seed} (FUZZ_SEED={seed} to replay): {wrong.Count} answered wrongly, first: {wrong.FirstOrDefault()}");
        Assert.Equal(1, await warehouse.EventCountAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/regulations", UriKind.Relative))).StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<(WarehouseDb Warehouse, NpgsqlDataSource Source)> MigratedAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync("regulations");
        var source = NpgsqlDataSource.Create(connectionString);
        await new PostgresSchema(source, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);
        return (new WarehouseDb(connectionString), source);
    }

    private static Task WhenMigratedAsync(Func<Task> action) =>
        Eventually.TrueAsync(
            async () =>
            {
                try
                {
                    await action();
                    return true;
                }
                catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
                {
                    return false;
                }
            },
            "the consumer has created the warehouse's tables",
            TimeSpan.FromSeconds(60));

    private static async Task InsertEventAsync(WarehouseDb warehouse, string messageId, string? userId, string? anonymousId)
    {
        await using var connection = new NpgsqlConnection(warehouse.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO events (message_id, type, user_id, anonymous_id, loaded_at) VALUES ($1, 'track', $2, $3, now())", connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = messageId });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)userId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)anonymousId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await insert.ExecuteNonQueryAsync();
    }

    private static async Task InsertDeadLetterAsync(WarehouseDb warehouse, string sequence, byte[] payload)
    {
        await using var connection = new NpgsqlConnection(warehouse.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO dead_letters (stream, shard_id, sequence_number, reason, payload, failed_at) VALUES ('events', 'shardId-000000000000', $1, 'not JSON', $2, now())",
            connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = sequence });
        insert.Parameters.Add(new NpgsqlParameter { Value = payload });
        await insert.ExecuteNonQueryAsync();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
