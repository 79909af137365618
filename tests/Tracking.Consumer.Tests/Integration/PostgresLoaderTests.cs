using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

[Collection(Infrastructure.Name)]
public sealed class PostgresLoaderTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string Stream = "events";
    private const string ShardId = "shardId-000000000000";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero));
    private NpgsqlDataSource _dataSource = null!;
    private WarehouseDb _warehouse = null!;
    private PostgresLoader _loader = null!;
    private PostgresLeaseStore _leases = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync("loader");
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _warehouse = new WarehouseDb(connectionString);
        await new PostgresSchema(_dataSource, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);
        _loader = new PostgresLoader(_dataSource, TestMetrics.Create(), _clock, NullLogger<PostgresLoader>.Instance);
        _leases = new PostgresLeaseStore(_dataSource);
        await _leases.AddShardsAsync(Stream, [new NewShard(ShardId, [], "TRIM_HORIZON")], CancellationToken.None);
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task AStreamCreatedAgainUnderItsNameHasItsOldLeasesAndCheckpointsSetAsideByExactlyOneWorker()
    {
        var old = await StreamIdentityContract.VerifyAsync(_leases, "staging", async fence =>
            Assert.Equal(LoadOutcome.Committed, (await _loader.LoadAsync(new LoadBatch(fence, Rows(2, "old"), [], "102", ShardFinished: false), CancellationToken.None)).Outcome));

        Assert.Equal("102", await _warehouse.ScalarAsync<string>($"SELECT checkpoint FROM shard_leases WHERE stream = '{StreamIdentityContract.Old.AsideName("staging")}'"));
        Assert.NotEqual(LoadOutcome.Committed, (await _loader.LoadAsync(new LoadBatch(old, Rows(2, "late"), [], "104", ShardFinished: false), CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task ABatchCommitsItsRowsAndTheCheckpointTogether()
    {
        var fence = await TakeAsync("worker-a");
        var rows = Rows(3, "a");

        var result = await _loader.LoadAsync(new LoadBatch(fence, rows, [], "103", ShardFinished: false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 3, 0), result);
        Assert.Equal(3, await _warehouse.EventCountAsync());
        Assert.Equal("103", await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_leases"));
        var row = (await _warehouse.RowsAsync("SELECT type, user_id, properties->>'seq', received_at, loaded_at FROM events WHERE message_id = 'a-1'")).Single();
        Assert.Equal("track", row[0]);
        Assert.Equal("user-1", row[1]);
        Assert.Equal("1", row[2]);
        Assert.NotNull(row[3]);
        Assert.NotNull(row[4]);
    }

    [Fact]
    public async Task RowsAlreadyLoadedAreDroppedAndCounted()
    {
        var fence = await TakeAsync("worker-a");
        await _loader.LoadAsync(new LoadBatch(fence, Rows(3, "a"), [], "103", false), CancellationToken.None);

        var result = await _loader.LoadAsync(new LoadBatch(fence, [.. Rows(3, "a"), .. Rows(2, "b")], [], "108", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 2, 3), result);
        Assert.Equal(5, await _warehouse.EventCountAsync());
    }

    [Fact]
    public async Task AWorkerWhoseLeaseWasTakenCommitsNothing()
    {
        var stale = await TakeAsync("worker-a");
        var current = await TakeAsync("worker-b");

        var result = await _loader.LoadAsync(new LoadBatch(stale, Rows(3, "a"), [new DeadLetter("104", "bad", new byte[] { 1 })], "104", ShardFinished: true), CancellationToken.None);

        Assert.Equal(LoadOutcome.LeaseLost, result.Outcome);
        Assert.Equal(0, await _warehouse.EventCountAsync());
        Assert.Equal(0, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        var lease = (await _warehouse.RowsAsync("SELECT owner, counter, checkpoint, finished FROM shard_leases")).Single();
        Assert.Equal(["worker-b", current.Counter, null, false], lease);
    }

    [Fact]
    public async Task DeadLettersAreCommittedWithTheirBatchExactlyAsRead()
    {
        var fence = await TakeAsync("worker-a");
        byte[] payload = [0xff, 0x00, (byte)'{'];

        await _loader.LoadAsync(new LoadBatch(fence, Rows(1, "a"), [new DeadLetter("102", "not JSON", payload)], "102", false), CancellationToken.None);

        var letter = (await _warehouse.RowsAsync("SELECT stream, shard_id, sequence_number, reason, payload, failed_at FROM dead_letters")).Single();
        Assert.Equal([Stream, ShardId, "102", "not JSON"], letter[..4]);
        Assert.Equal(payload, (byte[])letter[4]!);
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, ((DateTime)letter[5]!).ToUniversalTime());
    }

    [Fact]
    public async Task RowsPostgresRefusesAreNarrowedDownToThemselvesAndGoToDeadLettersInTheSameTransactionAsTheRest()
    {
        var fence = await TakeAsync("worker-a");

        // Rows EventRecords would have set aside, made by hand: JSON numbers jsonb's numeric cannot hold (22003).
        var rows = Rows(40, "a");
        int[] bad = [0, 17, 18, 39];
        foreach (var i in bad)
        {
            rows[i] = rows[i] with { Properties = """{"n":1e1000000}""" };
        }

        var result = await _loader.LoadAsync(new LoadBatch(fence, rows, [new DeadLetter("99", "not JSON", new byte[] { 0xff })], "139", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 36, 0), result);
        Assert.Equal(rows.Where((_, i) => !bad.Contains(i)).Select(r => r.MessageId).Order(), (await _warehouse.MessageIdsAsync()).Order());
        var letters = await _warehouse.RowsAsync("SELECT sequence_number, reason, payload FROM dead_letters ORDER BY id");
        Assert.Equal([.. bad.Select(i => rows[i].SequenceNumber), "99"], letters.Select(l => (string)l[0]!).Order(StringComparer.Ordinal));
        Assert.All(letters.Where(l => (string)l[0]! != "99"), l => Assert.Contains("PostgreSQL refused it: 22003", (string)l[1]!, StringComparison.Ordinal));
        Assert.Equal(rows[17].Payload.ToArray(), (byte[])letters.Single(l => (string)l[0]! == rows[17].SequenceNumber)[2]!);
        Assert.Equal("139", await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_leases"));
    }

    [Fact]
    public async Task ARefusedBatchOfOneRowIsADeadLetterAndTheCheckpointStillMoves()
    {
        var fence = await TakeAsync("worker-a");
        var row = Rows(1, "a")[0] with { Context = """{"n":-1e1000000}""" };

        var result = await _loader.LoadAsync(new LoadBatch(fence, [row], [], "100", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 0, 0), result);
        Assert.Equal(0, await _warehouse.EventCountAsync());
        Assert.Equal(1L, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        Assert.Equal("100", await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_leases"));
    }

    [Fact]
    public async Task TheFirstAndLastInstantsOfTheAcceptedRangeAreStoredAsTheyAreNotAsInfinity()
    {
        var fence = await TakeAsync("worker-a");
        var first = Parse("""{"messageId":"first","timestamp":"0001-01-01T00:00:00Z","sentAt":"0001-01-01T00:00:00.000001Z"}""", "100");
        var last = Parse("""{"messageId":"last","timestamp":"9999-12-31T23:59:59.9999999Z","sentAt":"9999-12-31T23:59:59.999Z"}""", "101");

        await _loader.LoadAsync(new LoadBatch(fence, [first, last], [], "101", false), CancellationToken.None);

        var stored = await _warehouse.RowsAsync("""SELECT message_id, to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), isfinite("timestamp"), to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM events ORDER BY 1""");
        Assert.Equal(["first", "0001-01-01 00:00:00.000000", true, "0001-01-01 00:00:00.000001"], stored[0]);
        Assert.Equal(["last", "9999-12-31 23:59:59.999999", true, "9999-12-31 23:59:59.999000"], stored[1]);
    }

    [Fact]
    public async Task AnEventsTrackingPlanViolationsAreLoadedIntoTheirColumnAndAnEventWithoutHasNull()
    {
        var fence = await TakeAsync("worker-a");
        var broken = Parse("""{"messageId":"broken","type":"track","event":"Order Completed","violations":[{"rule":"type","path":"/properties/total","message":"Value is \"string\" but should be \"number\""}]}""", "100");
        var kept = Parse("""{"messageId":"kept","type":"track","event":"Order Completed"}""", "101");

        await _loader.LoadAsync(new LoadBatch(fence, [broken, kept], [], "101", false), CancellationToken.None);

        var stored = await _warehouse.RowsAsync("""SELECT message_id, jsonb_typeof(violations), violations->0->>'rule', violations->0->>'path', violations->0->>'message' FROM events ORDER BY 1""");
        Assert.Equal(["broken", "array", "type", "/properties/total", "Value is \"string\" but should be \"number\""], stored[0]);
        Assert.Equal(["kept", null, null, null, null], stored[1]);
    }

    [Fact]
    public async Task ATimeNotInTheAcceptedFormIsStoredAsNullWithTheClientsValueInUnparsedTimes()
    {
        var fence = await TakeAsync("worker-a");
        var row = Parse("""{"messageId":"odd","timestamp":"12:00","sentAt":"1/2/2026","originalTimestamp":"0000-01-01T00:00:00Z","receivedAt":"2026-11-30T06:00:01.000Z"}""", "100");

        await _loader.LoadAsync(new LoadBatch(fence, [row], [], "100", false), CancellationToken.None);

        var stored = (await _warehouse.RowsAsync("""SELECT "timestamp", sent_at, original_timestamp, received_at IS NOT NULL, unparsed_times->>'timestamp', unparsed_times->>'sentAt', unparsed_times->>'originalTimestamp' FROM events""")).Single();
        Assert.Equal([null, null, null, true, "12:00", "1/2/2026", "0000-01-01T00:00:00Z"], stored);
        Assert.Equal(0L, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
    }

    [Fact]
    public async Task ADeadLetterOfAnyBytesAndAnyReasonIsStorable()
    {
        var fence = await TakeAsync("worker-a");
        byte[] payload = [0xef, 0xbb, 0xbf, 0x00, 0xff, 0xed, 0xa0, 0x80, (byte)'{'];

        await _loader.LoadAsync(new LoadBatch(fence, [], [new DeadLetter("100", "quoted \0 and \ud800 and \u001b", payload)], "100", false), CancellationToken.None);

        var letter = (await _warehouse.RowsAsync("SELECT reason, payload FROM dead_letters")).Single();
        Assert.StartsWith("quoted ", (string)letter[0]!, StringComparison.Ordinal);
        Assert.Equal(payload, (byte[])letter[1]!);
    }

    [Fact]
    public async Task TheLastBatchOfAShardMarksItFinishedKeepingItsCheckpoint()
    {
        var fence = await TakeAsync("worker-a");
        await _loader.LoadAsync(new LoadBatch(fence, Rows(1, "a"), [], "101", false), CancellationToken.None);

        await _loader.LoadAsync(new LoadBatch(fence, [], [], null, ShardFinished: true), CancellationToken.None);

        Assert.Equal(["101", true], (await _warehouse.RowsAsync("SELECT checkpoint, finished FROM shard_leases")).Single());
    }

    [Fact]
    public async Task ALoadWhileTheWarehouseCannotBeReachedIsRunAgainAfterABackOffAndCommitsWhenItIsBackWithNoDeadLetter()
    {
        await using var relay = TcpRelay.Start(postgres.Port);

        // One connection per attempt: without encryption Npgsql asks for none before it starts up.
        var connection = new NpgsqlConnectionStringBuilder(_warehouse.ConnectionString) { Port = relay.Port, Pooling = false, Timeout = 5, SslMode = SslMode.Disable, GssEncryptionMode = GssEncryptionMode.Disable };
        await using var cutOff = NpgsqlDataSource.Create(connection.ConnectionString);
        var loader = new PostgresLoader(cutOff, TestMetrics.Create(), _clock, NullLogger<PostgresLoader>.Instance);
        var fence = await TakeAsync("worker-a");

        var load = loader.LoadAsync(new LoadBatch(fence, Rows(3, "a"), [], "102", false), CancellationToken.None);

        // Two attempts meet a closed connection; neither ends the load, which waits out its back-off on the clock.
        await AdvanceUntilAsync(() => relay.Refused >= 2 || load.IsCompleted, "two attempts have met a closed connection");
        Assert.False(load.IsCompleted, load.Exception?.ToString());
        relay.Open();
        await AdvanceUntilAsync(() => load.IsCompleted, "the load runs again after its back-off and ends");

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 3, 0), await load);
        Assert.Equal(2, relay.Refused);
        Assert.Equal(3, await _warehouse.EventCountAsync());
        Assert.Equal(0L, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        Assert.Equal("102", await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_leases"));
    }

    [Fact]
    public async Task AWarehouseThatStaysUnreachableFailsTheLoadAfterItsAttemptsAndDeadLettersNothing()
    {
        await using var relay = TcpRelay.Start(postgres.Port);
        var connection = new NpgsqlConnectionStringBuilder(_warehouse.ConnectionString) { Port = relay.Port, Pooling = false, Timeout = 5, SslMode = SslMode.Disable, GssEncryptionMode = GssEncryptionMode.Disable };
        await using var cutOff = NpgsqlDataSource.Create(connection.ConnectionString);
        var loader = new PostgresLoader(cutOff, TestMetrics.Create(), _clock, NullLogger<PostgresLoader>.Instance);
        var fence = await TakeAsync("worker-a");

        var load = loader.LoadAsync(new LoadBatch(fence, Rows(3, "a"), [], "102", false), CancellationToken.None);
        await AdvanceUntilAsync(() => load.IsCompleted, "the load gives up after its attempts");

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => load);
        Assert.Equal(WarehouseFailures.Retries.MaxAttempts, relay.Refused);
        Assert.Equal(0, await _warehouse.EventCountAsync());
        Assert.Equal(0L, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
    }

    /// <summary>Moves the fake clock on, a second at a time, until <paramref name="condition"/> holds (the loader's
    /// back-off timers wait on it); fails after 30 real seconds, saying it was waiting until <paramref name="because"/>.</summary>
    private Task AdvanceUntilAsync(Func<bool> condition, string because) =>
        Eventually.TrueAsync(
            () =>
            {
                if (condition())
                {
                    return true;
                }

                _clock.Advance(TimeSpan.FromSeconds(1));
                return false;
            },
            because,
            TimeSpan.FromSeconds(30));

    private async Task<ShardFence> TakeAsync(string worker)
    {
        var lease = (await _leases.ListAsync(Stream, CancellationToken.None)).Single();
        return (await _leases.TryTakeAsync(Stream, ShardId, lease.Counter, worker, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
    }

    private static EventRow Parse(string json, string sequenceNumber) =>
        EventRecords.Parse(Stream, ShardId, new KinesisRecord { SequenceNumber = sequenceNumber, PartitionKey = "k", Data = Encoding.UTF8.GetBytes(json) }).Row!;

    private static List<EventRow> Rows(int count, string prefix) =>
        Enumerable.Range(0, count)
            .Select(i => EventRecords.Parse(Stream, ShardId, new KinesisRecord
            {
                SequenceNumber = (100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                PartitionKey = "k",
                Data = Encoding.UTF8.GetBytes(new TestEvent($"{prefix}-{i}", $"user-{i}", i).ToString()),
            }).Row!)
            .ToList();
}
