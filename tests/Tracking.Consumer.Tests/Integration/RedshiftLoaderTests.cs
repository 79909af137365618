using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// The Redshift loader for real against s3rver (staging) and PostgreSQL (the dialect's SQL, with <c>COPY</c> replaced
/// by loading the staged files; see <see cref="RedshiftRehearsal"/>). Leases live in a second PostgreSQL database,
/// as with <c>Consumer:Leases:Store=Postgres</c>.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed class RedshiftLoaderTests(PostgresServer postgres, S3rverFixture s3rver) : IAsyncLifetime
{
    private const string Stream = "events";
    private const string ShardId = "shardId-000000000000";
    private static readonly DateTimeOffset Received = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Received.AddMinutes(1));
    private readonly string _prefix = $"test-{Guid.NewGuid():N}";
    private NpgsqlDataSource _warehouseSource = null!;
    private NpgsqlDataSource _leaseSource = null!;
    private WarehouseDb _warehouse = null!;
    private AmazonS3Client _s3 = null!;
    private StagedFileCopy _copy = null!;
    private RedshiftLeaseStore _leases = null!;

    public async Task InitializeAsync()
    {
        var warehouse = await postgres.CreateDatabaseAsync("redshift");
        await RedshiftRehearsal.PrepareDatabaseAsync(warehouse);
        _warehouseSource = NpgsqlDataSource.Create(warehouse);
        _warehouse = new WarehouseDb(warehouse);
        await new RedshiftSchema(_warehouseSource, new RedshiftSql(tableAttributes: false), _clock, NullLogger<RedshiftSchema>.Instance).MigrateAsync(CancellationToken.None);

        _leaseSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("leases"));
        await new PostgresLeaseSchema(_leaseSource).CreateAsync(CancellationToken.None);
        _leases = new RedshiftLeaseStore(new PostgresLeaseStore(_leaseSource), new RedshiftCheckpoints(_warehouseSource));
        await _leases.AddShardsAsync(Stream, [new NewShard(ShardId, [], "TRIM_HORIZON")], CancellationToken.None);

        _s3 = RedshiftRehearsal.S3Client(s3rver);
        _copy = new StagedFileCopy(_s3);
    }

    public async Task DisposeAsync()
    {
        _s3.Dispose();
        await _warehouseSource.DisposeAsync();
        await _leaseSource.DisposeAsync();
    }

    [Fact]
    public async Task ALargeBatchIsStagedAsGzipJsonLinesWithAManifestCopiedAndCheckpointedThenItsObjectsAreDeleted()
    {
        var loader = Loader(copyThresholdRows: 5);
        var fence = await TakeAsync("worker-a");
        var rows = Rows(6, "a");

        var result = await loader.LoadAsync(new LoadBatch(fence, rows, [], "105", ShardFinished: false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 6, 0), result);
        var staged = Assert.Single(_copy.Copied);
        var manifestKey = $"{_prefix}/staging/{Stream}/{ShardId}/100-105-{fence.Counter}.manifest";
        Assert.Equal($"s3://{S3rverFixture.Bucket}/{manifestKey}", staged.Batch.ManifestUrl);
        var part = Assert.Single(staged.Parts);
        var partUrl = $"s3://{S3rverFixture.Bucket}/{_prefix}/staging/{Stream}/{ShardId}/100-105-{fence.Counter}/part-00000.json.gz";
        Assert.Equal($$"""{"entries":[{"url":"{{partUrl}}","mandatory":true}]}""", staged.Manifest);
        Assert.Equal(partUrl, part.Key);
        Assert.Equal([0x1f, 0x8b], part.Body[..2]);

        var lines = Gunzip(part.Body).Split('\n');
        Assert.Equal(7, lines.Length);
        Assert.Equal(string.Empty, lines[^1]);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            var keys = first.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(["batch_position", "message_id", "type", "event", "user_id", "timestamp", "received_at", "source", "context", "properties"], keys);
            Assert.Equal("2026-11-30T06:00:00.000000Z", first.RootElement.GetProperty("received_at").GetString());
            Assert.Equal(JsonValueKind.Object, first.RootElement.GetProperty("properties").ValueKind);
        }

        Assert.Equal(6, await _warehouse.EventCountAsync());
        var row = (await _warehouse.RowsAsync("SELECT type, user_id, properties->>'seq', received_at, loaded_at FROM events WHERE message_id = 'a-1'")).Single();
        Assert.Equal(["track", "user-1", "1"], row[..3]);
        Assert.Equal(Received.UtcDateTime, ((DateTime)row[3]!).ToUniversalTime());
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, ((DateTime)row[4]!).ToUniversalTime());
        Assert.Equal(["105", false], (await _warehouse.RowsAsync("SELECT checkpoint, finished FROM shard_checkpoints")).Single());
        Assert.Empty(await RedshiftRehearsal.KeysAsync(_s3, _prefix));
    }

    [Fact]
    public async Task ABatchLargerThanAPartIsStagedInSeveralPartsAllListedInItsManifest()
    {
        var options = Options.Create(RedshiftRehearsal.Options(s3rver, _prefix, copyThresholdRows: 1));
        var loader = new RedshiftLoader(
            _warehouseSource, new S3Staging(_s3, options, partBytes: 1000), _copy, new RedshiftSql(tableAttributes: false), new RedshiftCheckpoints(_warehouseSource),
            options, TestMetrics.Create(), _clock, NullLogger<RedshiftLoader>.Instance);
        var fence = await TakeAsync("worker-a");

        var result = await loader.LoadAsync(new LoadBatch(fence, Rows(10, "a"), [], "109", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 10, 0), result);
        var staged = Assert.Single(_copy.Copied);
        Assert.True(staged.Parts.Count is > 2 and < 10, $"{staged.Parts.Count} parts");
        Assert.Equal(staged.Parts.Select((_, i) => $"part-{i:D5}.json.gz"), staged.Parts.Select(p => p.Key[(p.Key.LastIndexOf('/') + 1)..]));
        Assert.Equal(10, staged.Parts.Sum(p => Gunzip(p.Body).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length));
        Assert.Equal(10, await _warehouse.EventCountAsync());
        Assert.Empty(await RedshiftRehearsal.KeysAsync(_s3, _prefix));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(5)]
    public async Task RowsRedshiftRefusesForTheirDataAreFoundByTryingHalvesAndDeadLetteredWithTheGoodRowsCommitted(int copyThresholdRows)
    {
        // A refusal the vetting cannot foresee: the warehouse rejects two rows' values.
        await RefuseRowsAsync("22023", "invalid value for this column");
        var loader = Loader(copyThresholdRows);
        var fence = await TakeAsync("worker-a");
        var rows = Rows(30, "a");
        rows[7] = Row("107", "a-7", Received, properties: """{"seq":7,"note":"poison"}""");
        rows[22] = Row("122", "a-22", Received, properties: """{"seq":22,"note":"poison"}""");

        var result = await loader.LoadAsync(new LoadBatch(fence, rows, [], "129", ShardFinished: false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 28, 0), result);
        Assert.Equal(rows.Select(r => r.MessageId).Except(["a-7", "a-22"]).ToHashSet(), await _warehouse.MessageIdsAsync());
        var letters = await _warehouse.RowsAsync("SELECT sequence_number, reason, payload FROM dead_letters ORDER BY sequence_number");
        Assert.Equal(["107", "122"], letters.Select(l => (string)l[0]!));
        Assert.All(letters, l => Assert.StartsWith("Redshift refused it: 22023 invalid value for this column", (string)l[1]!));
        Assert.Contains("poison", (string)letters[0][2]!);
        Assert.Equal("129", await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_checkpoints"));
        Assert.Empty(await RedshiftRehearsal.KeysAsync(_s3, _prefix));
    }

    [Fact]
    public async Task AnInternalErrorEveryRowMeetsIsNotBlamedOnTheDataAndLeavesTheCheckpoint()
    {
        await RefuseRowsAsync("XX000", "JSON parsing error: the cluster lost its way", everyRow: true);
        var loader = Loader(1000);
        var fence = await TakeAsync("worker-a");

        await Assert.ThrowsAsync<PostgresException>(() => loader.LoadAsync(new LoadBatch(fence, Rows(4, "a"), [], "103", ShardFinished: false), CancellationToken.None));

        Assert.Equal(0, await _warehouse.EventCountAsync());
        Assert.Equal(0, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        Assert.Equal(DBNull.Value, await _warehouse.ScalarAsync<object>("SELECT checkpoint FROM shard_checkpoints"));
    }

    [Fact]
    public async Task ASmallBatchGoesByParameterisedInsertWithoutS3AndStoresHostileTextVerbatim()
    {
        var loader = Loader(copyThresholdRows: 1000);
        var fence = await TakeAsync("worker-a");
        const string hostile = "x'); DROP TABLE events; --";
        var rows = new List<EventRow> { Row("101", "a-1", Received, name: hostile), Row("102", "a-2", Received) };

        var result = await loader.LoadAsync(new LoadBatch(fence, rows, [], "102", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 2, 0), result);
        Assert.Empty(_copy.Copied);
        Assert.Equal(hostile, await _warehouse.ScalarAsync<string>("SELECT event FROM events WHERE message_id = 'a-1'"));
        Assert.Equal("102", await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_checkpoints"));
        Assert.Empty(await RedshiftRehearsal.KeysAsync(_s3, _prefix));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1)]
    public async Task AnEventsTrackingPlanViolationsAreLoadedIntoTheirSuperColumnOnBothPaths(int copyThresholdRows)
    {
        var loader = Loader(copyThresholdRows);
        var fence = await TakeAsync("worker-a");
        var time = Received.ToString("O", CultureInfo.InvariantCulture);
        var json = $$"""{"type":"track","messageId":"broken","userId":"u","event":"Order Completed","receivedAt":"{{time}}","violations":[{"rule":"type","path":"/properties/total","message":"Value is \"string\" but should be \"number\""}]}""";
        var broken = EventRecords.Parse(Stream, ShardId, new KinesisRecord { SequenceNumber = "101", PartitionKey = "k", Data = Encoding.UTF8.GetBytes(json) }).Row!;

        await loader.LoadAsync(new LoadBatch(fence, [broken, Row("102", "kept", Received)], [], "102", false), CancellationToken.None);

        var stored = await _warehouse.RowsAsync("SELECT message_id, violations::text FROM events ORDER BY 1");
        var violations = System.Text.Json.Nodes.JsonNode.Parse((string)stored[0][1]!)!.AsArray();
        Assert.Equal(("type", "/properties/total"), (violations[0]!["rule"]!.GetValue<string>(), violations[0]!["path"]!.GetValue<string>()));
        Assert.Equal(["kept", null], stored[1]);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1)]
    public async Task RowsAlreadyInEventsAndRepeatsWithinABatchAreLoadedOnceOnBothPaths(int copyThresholdRows)
    {
        var loader = Loader(copyThresholdRows);
        var fence = await TakeAsync("worker-a");
        await loader.LoadAsync(new LoadBatch(fence, [Row("101", "a-1", Received), Row("102", "a-2", Received)], [], "102", false), CancellationToken.None);

        // A replay of a-2 (the stream is at-least-once), then a new event sent twice in one batch.
        var result = await loader.LoadAsync(
            new LoadBatch(fence, [Row("103", "a-2", Received), Row("104", "a-3", Received, name: "first"), Row("105", "a-3", Received, name: "second")], [], "105", false),
            CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 1, 2), result);
        Assert.Equal(["a-1", "a-2", "a-3"], (await _warehouse.MessageIdsAsync()).Order());
        Assert.Equal("first", await _warehouse.ScalarAsync<string>("SELECT event FROM events WHERE message_id = 'a-3'"));
    }

    [Fact]
    public async Task ALoadThatLosesAConflictWithAnotherWriterOfEventsIsRunAgainAndCommits()
    {
        var loader = Loader(1000);
        var fence = await TakeAsync("worker-a");

        // Another writer holds events, the load then waits for it while holding the load lock, and the other writer
        // asks for the load lock: PostgreSQL breaks the cycle by aborting the load (40P01), as Redshift aborts one
        // side of a serializable conflict (1023).
        await using var other = await _warehouseSource.OpenConnectionAsync();
        await using var otherTransaction = await other.BeginTransactionAsync();
        await using (var lockEvents = new NpgsqlCommand("LOCK TABLE events IN ACCESS EXCLUSIVE MODE", other, otherTransaction))
        {
            await lockEvents.ExecuteNonQueryAsync();
        }

        var load = loader.LoadAsync(new LoadBatch(fence, [Row("101", "a-1", Received)], [], "101", false), CancellationToken.None);
        await WaitForLockWaitAsync("events");
        await using (var lockLoads = new NpgsqlCommand(RedshiftSql.LockLoads, other, otherTransaction))
        {
            await lockLoads.ExecuteNonQueryAsync();
        }

        await otherTransaction.CommitAsync();
        await Eventually.TrueAsync(
            () =>
            {
                if (load.IsCompleted)
                {
                    return true;
                }

                // The retry after the conflict waits out its back-off on the fake clock.
                _clock.Advance(TimeSpan.FromMilliseconds(100));
                return false;
            },
            "the load that lost the serializable conflict runs again and ends",
            TimeSpan.FromSeconds(30));

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 1, 0), await load);
        Assert.Equal(["a-1"], await _warehouse.MessageIdsAsync());
        Assert.Equal("101", await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_checkpoints"));
    }

    [Fact]
    public async Task ADuplicateOlderThanTheDedupWindowIsNotLookedFor()
    {
        var loader = Loader(1000);
        var fence = await TakeAsync("worker-a");
        await loader.LoadAsync(new LoadBatch(fence, [Row("101", "a-1", Received)], [], "101", false), CancellationToken.None);

        var result = await loader.LoadAsync(new LoadBatch(fence, [Row("102", "a-1", Received.AddDays(8))], [], "102", false), CancellationToken.None);

        // The documented cost of a bounded window: Redshift has no unique key to catch this one.
        Assert.Equal(new LoadResult(LoadOutcome.Committed, 1, 0), result);
        Assert.Equal(2, await _warehouse.EventCountAsync());
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1)]
    public async Task AReplayOfAnEventWithoutReceivedAtIsLoadedOnce(int copyThresholdRows)
    {
        // Producers other than the API may send no receivedAt; the stream still replays their records.
        var loader = Loader(copyThresholdRows);
        var fence = await TakeAsync("worker-a");
        await loader.LoadAsync(new LoadBatch(fence, [Row("101", "n-1", Received) with { ReceivedAt = null }], [], "101", false), CancellationToken.None);

        var result = await loader.LoadAsync(new LoadBatch(fence, [Row("102", "n-1", Received) with { ReceivedAt = null }], [], "102", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 0, 1), result);
        Assert.Equal(1, await _warehouse.EventCountAsync());
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1)]
    public async Task AWorkerWhoseLeaseWasTakenCommitsNothingEvenBeforeTheNewHolderLoads(int copyThresholdRows)
    {
        var loader = Loader(copyThresholdRows);
        var stale = await TakeAsync("worker-a");
        await ExpireAsync();
        var current = await TakeAsync("worker-b");

        var result = await loader.LoadAsync(new LoadBatch(stale, Rows(2, "a"), [new DeadLetter("103", "bad", "x"u8.ToArray())], "103", ShardFinished: true), CancellationToken.None);

        Assert.Equal(LoadOutcome.LeaseLost, result.Outcome);
        Assert.Equal(0, await _warehouse.EventCountAsync());
        Assert.Equal(0, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        Assert.Equal(["worker-b", current.Counter, null, false], (await _warehouse.RowsAsync("SELECT owner, counter, checkpoint, finished FROM shard_checkpoints")).Single());
        Assert.Empty(await RedshiftRehearsal.KeysAsync(_s3, _prefix));
    }

    [Fact]
    public async Task ValuesTooLargeForTheirRedshiftColumnBecomeDeadLettersInsteadOfBeingTruncated()
    {
        var loader = Loader(1000);
        var fence = await TakeAsync("worker-a");
        var longName = new string('é', 513); // 1,026 bytes: over VARCHAR(1024) though only 513 characters.
        var longString = new string('x', 70_000);
        var rows = new List<EventRow>
        {
            Row("101", "a-1", Received),
            Row("102", "a-2", Received, name: longName),
            Row("103", "a-3", Received, properties: $$"""{"text":"{{longString}}"}"""),
        };

        var result = await loader.LoadAsync(new LoadBatch(fence, rows, [], "103", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 1, 0), result);
        Assert.Equal(["a-1"], await _warehouse.MessageIdsAsync());
        var letters = await _warehouse.RowsAsync("SELECT sequence_number, reason, payload, payload_url FROM dead_letters ORDER BY sequence_number");
        Assert.Equal(2, letters.Count);
        Assert.Equal("102", letters[0][0]);
        Assert.Contains("event is 1026 bytes; the Redshift column events.event holds at most 1024", (string)letters[0][1]!, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetString(rows[1].Payload.Span), letters[0][2]);
        Assert.Equal("103", letters[1][0]);
        Assert.Contains("properties holds a string of 70000 bytes", (string)letters[1][1]!, StringComparison.Ordinal);

        // 70 KB does not fit VARCHAR(65535): the record is kept on S3, byte for byte, and the row points to it.
        var url = new Uri((string)letters[1][3]!);
        Assert.Null(letters[1][2]);
        using var kept = await _s3.GetObjectAsync(url.Host, url.AbsolutePath.TrimStart('/'));
        using var body = new MemoryStream();
        await kept.ResponseStream.CopyToAsync(body);
        Assert.Equal(rows[2].Payload.ToArray(), body.ToArray());
    }

    [Fact]
    public async Task TheLifecycleRuleForLeftoverStagedObjectsCannotReachADeadLettersKeptRecord()
    {
        // The README asks for a rule expiring what a crash leaves under the staging prefix; a dead letter's record on
        // S3 is the only copy of it and must live outside that prefix.
        var loader = Loader(copyThresholdRows: 1);
        var fence = await TakeAsync("worker-a");
        var rows = new List<EventRow> { Row("101", "a-1", Received), Row("102", "a-2", Received, properties: $$"""{"text":"{{new string('x', 70_000)}}"}""") };

        await loader.LoadAsync(new LoadBatch(fence, rows, [], "102", false), CancellationToken.None);

        var stagingPrefix = $"{_prefix}/{S3Staging.StagingFolder}/";
        var staged = Assert.Single(_copy.Copied);
        Assert.All(staged.Batch.Keys, key => Assert.StartsWith(stagingPrefix, key, StringComparison.Ordinal));
        var url = new Uri(await _warehouse.ScalarAsync<string>("SELECT payload_url FROM dead_letters"));
        Assert.DoesNotContain(stagingPrefix, url.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABatchWhoseJsonIsTooLongForJsonParseGoesByCopyEvenWhenSmall()
    {
        var loader = Loader(1000);
        var fence = await TakeAsync("worker-a");
        var properties = "{" + string.Join(",", Enumerable.Range(0, 8000).Select(i => $"\"k{i}\":\"{i:D4}\"")) + "}";
        Assert.True(properties.Length > 65_535);

        var result = await loader.LoadAsync(new LoadBatch(fence, [Row("101", "a-1", Received, properties: properties)], [], "101", false), CancellationToken.None);

        Assert.Equal(new LoadResult(LoadOutcome.Committed, 1, 0), result);
        Assert.Single(_copy.Copied);
        Assert.Equal("7999", await _warehouse.ScalarAsync<string>("SELECT properties->>'k7999' FROM events"));
    }

    [Fact]
    public async Task TheLastBatchOfAShardMarksItFinishedAndTheLeaseListingShowsIt()
    {
        var loader = Loader(1000);
        var fence = await TakeAsync("worker-a");
        await loader.LoadAsync(new LoadBatch(fence, [Row("101", "a-1", Received)], [], "101", false), CancellationToken.None);

        await loader.LoadAsync(new LoadBatch(fence, [], [], null, ShardFinished: true), CancellationToken.None);

        var lease = (await _leases.ListAsync(Stream, CancellationToken.None)).Single();
        Assert.Equal(("101", true), (lease.Checkpoint, lease.Finished));
        var taken = await _leases.TryTakeAsync(Stream, ShardId, lease.Counter, "worker-b", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None);
        Assert.Null(await loader.BeginAsync(taken!.Value, lease.ToCheckpoint(), CancellationToken.None));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100_000)]
    public async Task RandomMutationsOfRealRecordsAreEachLoadedOrDeadLetteredOnBothPathsAndTheCheckpointReachesTheLast(int copyThresholdRows)
    {
        // The Redshift loader fails in its own ways (its column limits, S3 staging and COPY's JSON lines, dead
        // letters kept on S3 when VARCHAR cannot hold them), so the fuzzed records go through it too, by COPY and by INSERT.
        var seed = Environment.GetEnvironmentVariable("FUZZ_SEED") is { Length: > 0 } chosen ? int.Parse(chosen, CultureInfo.InvariantCulture) : 150_2026;
        var run = $"(FUZZ_SEED={seed}, copy threshold {copyThresholdRows})";
        var random = new Random(seed);
        var mutator = new RecordMutator(seed);
        var records = Enumerable.Range(0, 150).Select(i => (GoodId: (string?)$"good-{i}", Data: FuzzRecords.Api($"good-{i}", i)))
            .Concat(FuzzRecords.Named().Concat(Enumerable.Range(0, 250).Select(i => mutator.Mutate(FuzzRecords.Api($"bad-{i}", i)))).Select(d => (GoodId: (string?)null, Data: d)))
            .OrderBy(_ => random.Next())
            .Select((r, i) => (r.GoodId, r.Data, Sequence: (1000 + i).ToString(CultureInfo.InvariantCulture)))
            .ToList();
        var loader = Loader(copyThresholdRows);
        var fence = await TakeAsync("worker-a");

        foreach (var chunk in records.Chunk(50))
        {
            var buffer = new ShardBuffer(Stream, ShardId);
            buffer.Add(chunk.Select(r => new KinesisRecord { SequenceNumber = r.Sequence, PartitionKey = "k", Data = r.Data }).ToList());
            var result = await loader.LoadAsync(buffer.TakeBatch(fence, finished: false), CancellationToken.None);
            Assert.True(result.Outcome == LoadOutcome.Committed, $"{run} {result}");
        }

        Assert.Equal(records[^1].Sequence, await _warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_checkpoints"));
        var loaded = await _warehouse.MessageIdsAsync();
        var letters = (await _warehouse.RowsAsync("SELECT sequence_number, reason, payload, payload_url FROM dead_letters"))
            .ToDictionary(r => (string)r[0]!, r => (Reason: (string)r[1]!, Text: (string?)r[2], Url: (string?)r[3]));
        var expectedIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (goodId, data, sequence) in records)
        {
            var what = $"{run} record {sequence}: {Convert.ToHexString(data.AsSpan(0, Math.Min(data.Length, 2048)))}";
            var (row, dead) = EventRecords.Parse(Stream, ShardId, new KinesisRecord { SequenceNumber = sequence, PartitionKey = "k", Data = data });
            var refusal = dead?.Reason ?? RedshiftRows.Problem(row!);
            if (goodId is not null)
            {
                Assert.True(refusal is null && loaded.Contains(goodId), $"good record {goodId} was not loaded: {refusal}");
            }

            if (refusal is null)
            {
                Assert.False(letters.ContainsKey(sequence), $"{what} was dead-lettered: {letters.GetValueOrDefault(sequence).Reason}");
                Assert.True(loaded.Contains(row!.MessageId), $"{what} was neither loaded as {row.MessageId} nor dead-lettered");
                expectedIds.Add(row.MessageId);
                continue;
            }

            Assert.True(letters.TryGetValue(sequence, out var letter), $"no dead letter for {what}: {refusal}");
            Assert.Equal(refusal, letter.Reason);
            if (letter.Url is { } url)
            {
                var kept = new Uri(url);
                using var response = await _s3.GetObjectAsync(kept.Host, kept.AbsolutePath.TrimStart('/'));
                using var body = new MemoryStream();
                await response.ResponseStream.CopyToAsync(body);
                Assert.True(data.AsSpan().SequenceEqual(body.ToArray()), $"the record kept on S3 for {what} is not the record");
            }
            else
            {
                Assert.True(letter.Text == Encoding.UTF8.GetString(data), $"the dead letter of {what} is not the record");
            }
        }

        Assert.True(records.Count(r => letters.ContainsKey(r.Sequence)) == letters.Count, $"{run} dead letters no record accounts for");
        Assert.True(expectedIds.SetEquals(loaded), $"{run} loaded ids no record accounts for: {string.Join(", ", loaded.Except(expectedIds).Take(10))}");
        Assert.Empty(await RedshiftRehearsal.KeysAsync(_s3, $"{_prefix}/{S3Staging.StagingFolder}"));
    }

    private RedshiftLoader Loader(int copyThresholdRows) =>
        new(
            _warehouseSource,
            new S3Staging(_s3, Options.Create(RedshiftRehearsal.Options(s3rver, _prefix, copyThresholdRows))),
            _copy,
            new RedshiftSql(tableAttributes: false),
            new RedshiftCheckpoints(_warehouseSource),
            Options.Create(RedshiftRehearsal.Options(s3rver, _prefix, copyThresholdRows)),
            TestMetrics.Create(),
            _clock,
            NullLogger<RedshiftLoader>.Instance);

    /// <summary>Takes the lease and claims the shard, as the coordinator and the shard's processor do.</summary>
    private Task WaitForLockWaitAsync(string table) =>
        Eventually.TrueAsync(
            async () => await _warehouse.ScalarAsync<long>($"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = '{table}' AND NOT l.granted") > 0,
            $"the load waits for a lock on {table}",
            TimeSpan.FromSeconds(30));

    /// <summary>Makes the rehearsal warehouse refuse, with <paramref name="sqlState"/>, the rows whose properties say
    /// "poison" (or every row): what Redshift does with a value it cannot hold that no check here foresaw.</summary>
    private async Task RefuseRowsAsync(string sqlState, string message, bool everyRow = false)
    {
        await using var command = _warehouseSource.CreateCommand($$"""
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF {{(everyRow ? "true" : "NEW.properties::text LIKE '%poison%'")}} THEN
                    RAISE EXCEPTION '{{message}}' USING ERRCODE = '{{sqlState}}';
                END IF;
                RETURN NEW;
            END $f$;
            CREATE TRIGGER refuse_poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_poison();
            """);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Takes the lease and claims the shard, as the coordinator and the shard's processor do.</summary>
    private async Task<ShardFence> TakeAsync(string worker)
    {
        var lease = (await _leases.ListAsync(Stream, CancellationToken.None)).Single();
        var fence = (await _leases.TryTakeAsync(Stream, ShardId, lease.Counter, worker, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
        Assert.NotNull(await Loader(1000).BeginAsync(fence, lease.ToCheckpoint(), CancellationToken.None));
        return fence;
    }

    private Task ExpireAsync()
    {
        _clock.Advance(TimeSpan.FromSeconds(11));
        return Task.CompletedTask;
    }

    private static string Gunzip(byte[] body)
    {
        using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static List<EventRow> Rows(int count, string prefix) =>
        Enumerable.Range(0, count).Select(i => Row((100 + i).ToString(CultureInfo.InvariantCulture), $"{prefix}-{i}", Received, userId: $"user-{i}", seq: i)).ToList();

    private static EventRow Row(string sequenceNumber, string messageId, DateTimeOffset receivedAt, string name = "Step Completed", string? properties = null, string userId = "user-1", int seq = 0)
    {
        var time = receivedAt.ToString("O", CultureInfo.InvariantCulture);
        var json = $$"""
            {"type":"track","messageId":{{JsonSerializer.Serialize(messageId)}},"userId":"{{userId}}","event":{{JsonSerializer.Serialize(name)}},
             "timestamp":"{{time}}","receivedAt":"{{time}}","source":"tests","context":{"ip":"127.0.0.1"},
             "properties":{{properties ?? $$"""{"seq":{{seq}}}"""}}}
            """;
        var (row, letter) = EventRecords.Parse(Stream, ShardId, new KinesisRecord { SequenceNumber = sequenceNumber, PartitionKey = "k", Data = Encoding.UTF8.GetBytes(json) });
        Assert.Null(letter);
        return row!;
    }
}
