using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
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
    public async Task ARowPostgresRefusesDespiteParsingGoesToDeadLettersAndTheRestOfItsBatchIsLoaded()
    {
        var fence = await TakeAsync("worker-a");

        // A JSON number System.Text.Json keeps as a token but jsonb's numeric cannot hold (22003).
        var huge = Encoding.UTF8.GetBytes("""{"type":"track","messageId":"huge","properties":{"n":1e1000000}}""");
        var refused = EventRecords.Parse(Stream, ShardId, new KinesisRecord { SequenceNumber = "150", PartitionKey = "k", Data = huge }).Row!;
        var rows = Rows(3, "a");

        var result = await _loader.LoadAsync(new LoadBatch(fence, [rows[0], refused, rows[1], rows[2]], [], "150", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 3, 0), result);
        Assert.Equal(["a-0", "a-1", "a-2"], (await _warehouse.MessageIdsAsync()).Order());
        var letter = (await _warehouse.RowsAsync("SELECT sequence_number, reason, payload FROM dead_letters")).Single();
        Assert.Equal("150", letter[0]);
        Assert.Contains("22003", (string)letter[1]!, StringComparison.Ordinal);
        Assert.Equal(huge, (byte[])letter[2]!);
        Assert.Equal("150", await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_leases"));
    }

    [Fact]
    public async Task TheLastBatchOfAShardMarksItFinishedKeepingItsCheckpoint()
    {
        var fence = await TakeAsync("worker-a");
        await _loader.LoadAsync(new LoadBatch(fence, Rows(1, "a"), [], "101", false), CancellationToken.None);

        await _loader.LoadAsync(new LoadBatch(fence, [], [], null, ShardFinished: true), CancellationToken.None);

        Assert.Equal(["101", true], (await _warehouse.RowsAsync("SELECT checkpoint, finished FROM shard_leases")).Single());
    }

    private async Task<ShardFence> TakeAsync(string worker)
    {
        var lease = (await _leases.ListAsync(Stream, CancellationToken.None)).Single();
        return (await _leases.TryTakeAsync(Stream, ShardId, lease.Counter, worker, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
    }

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
