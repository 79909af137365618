using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Redrive;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// A re-drive reads a dead letter as the shard loop reads its record today, on both dialects (PostgreSQL for real;
/// Redshift's SQL on PostgreSQL with s3rver, <see cref="RedshiftRehearsal"/>): a whole KPL aggregate an older consumer
/// kept is split (what loads of it loads, each user record that still fails becomes a letter of its own), a letter of
/// one user record is never expanded again, Redshift's limits are applied before its load, a row too long for an
/// <c>INSERT</c> goes by <c>COPY</c>, and a payload gone from S3 leaves its letter failing without stopping the rest.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed class RedriveReadsAsTheShardLoopTests(PostgresServer postgres, S3rverFixture s3rver)
{
    private const string Stream = "events";
    private const string ShardId = "shardId-000000000000";
    private static readonly byte[] NotJson = Encoding.UTF8.GetBytes("{\"type\":\"track\",oops");

    [Fact]
    public async Task OnPostgresAWholeAggregateIsSplitAndOnlyItsFailingUserRecordsStay()
    {
        await using var warehouse = await PostgresAsync("redrive-split");
        var good = TestEvent.Many(users: 2, perUser: 1, prefix: "split").ToList();
        await warehouse.InsertLetterAsync("200", "not JSON: an older consumer could not read the aggregate", Aggregate(good[0].ToJson(), NotJson, good[1].ToJson()));

        var dry = await warehouse.Redrive().RunAsync(new RedriveRequest(DryRun: true), CancellationToken.None);
        Assert.Equal((1L, 1L, 2L, 1L, 1L, 0L), Counts(dry));
        Assert.Equal(["200"], await warehouse.LetterSequencesAsync());

        var run = await warehouse.Redrive().RunAsync(new RedriveRequest(), CancellationToken.None);
        Assert.Equal((1L, 1L, 2L, 1L, 1L, 0L), Counts(run));
        Assert.StartsWith("not JSON", Assert.Single(run.StillFailingReasons).Key, StringComparison.Ordinal);
        Assert.Equal(["200:1"], await warehouse.LetterSequencesAsync());
        Assert.Equal(NotJson, await warehouse.Db.ScalarAsync<byte[]>("SELECT payload FROM dead_letters"));
        Assert.Equal(good.Select(e => e.MessageId).ToHashSet(), await warehouse.Db.MessageIdsAsync());

        // The user record left is read as the user record it is, and still fails; nothing loads twice.
        var again = await warehouse.Redrive().RunAsync(new RedriveRequest(), CancellationToken.None);
        Assert.Equal((1L, 0L, 0L, 0L, 0L, 1L), Counts(again));
        Assert.Equal(["200:1"], await warehouse.LetterSequencesAsync());
        Assert.Equal(2L, await warehouse.Db.EventCountAsync());
    }

    [Fact]
    public async Task OnPostgresAUserRecordThatLooksLikeAnAggregateIsNotExpandedAgain()
    {
        await using var warehouse = await PostgresAsync("redrive-nested");
        // The shard loop hands a user record on as it is: one whose bytes are themselves an aggregate is no event.
        var nested = Aggregate([.. TestEvent.Many(users: 2, perUser: 1, prefix: "nested").Select(e => e.ToJson())]);
        await warehouse.InsertLetterAsync("300:0", "not UTF-8: an invalid byte sequence at byte 0", nested);

        var run = await warehouse.Redrive().RunAsync(new RedriveRequest(), CancellationToken.None);
        Assert.Equal((1L, 0L, 0L, 0L, 0L, 1L), Counts(run));
        Assert.Equal(0L, await warehouse.Db.EventCountAsync());
        Assert.Equal(["300:0"], await warehouse.LetterSequencesAsync());
    }

    [Fact]
    public async Task OnRedshiftAWholeAggregateIsSplitAndItsFailingUserRecordKeptAsTextOrOnS3()
    {
        await using var warehouse = await RedshiftAsync("redshift-redrive-split");
        var good = TestEvent.Many(users: 2, perUser: 1, prefix: "rsplit").ToList();
        var binary = new byte[] { 0x7B, 0xFF, 0x00, 0x7D };
        var url = await warehouse.KeepOnS3Async("200", Aggregate(good[0].ToJson(), NotJson, binary, good[1].ToJson()));
        await warehouse.InsertLetterAsync("200", "not JSON: an older consumer could not read the aggregate", text: null, url);

        var run = await warehouse.Redrive().RunAsync(new RedriveRequest(), CancellationToken.None);
        Assert.Equal((1L, 1L, 2L, 1L, 2L, 0L), Counts(run));
        Assert.Equal(good.Select(e => e.MessageId).ToHashSet(), await warehouse.Db.MessageIdsAsync());
        var left = await warehouse.Db.RowsAsync("SELECT sequence_number, payload, payload_url FROM dead_letters ORDER BY sequence_number");
        Assert.Equal(["200:1", "200:2"], left.Select(r => (string)r[0]!));
        Assert.Equal(Encoding.UTF8.GetString(NotJson), (string)left[0][1]!);
        Assert.Null(left[1][1]);
        Assert.Equal(binary, await warehouse.ReadS3Async((string)left[1][2]!));
        await Assert.ThrowsAsync<NoSuchKeyException>(() => warehouse.ReadS3Async(url));

        var again = await warehouse.Redrive().RunAsync(new RedriveRequest(), CancellationToken.None);
        Assert.Equal((2L, 0L, 0L, 0L, 0L, 2L), Counts(again));
        Assert.Equal(2L, await warehouse.Db.EventCountAsync());
    }

    [Fact]
    public async Task OnRedshiftAGonePayloadAndARowTheClusterCannotHoldStayWhileTheRestLoadsSomeByCopy()
    {
        await using var warehouse = await RedshiftAsync("redshift-redrive-vet");
        var plain = TestEvent.Many(users: 1, perUser: 1, prefix: "plain").Single();
        var large = Encoding.UTF8.GetBytes($$"""{"type":"track","messageId":"large-1","event":"Big","properties":{"a":"{{new string('a', 30_000)}}","b":"{{new string('b', 30_000)}}","c":"{{new string('c', 30_000)}}"},"receivedAt":"2026-12-08T00:00:00Z"}""");
        var longType = Encoding.UTF8.GetBytes($$"""{"type":"{{new string('t', 100)}}","messageId":"long-type-1","receivedAt":"2026-12-08T00:00:00Z"}""");
        await warehouse.InsertLetterAsync("100", "gone", text: null, url: $"s3://{S3rverFixture.Bucket}/{warehouse.Prefix}/dead-letters/{Stream}/{ShardId}/100.bin");
        await warehouse.InsertLetterAsync("101", "old rule", Encoding.UTF8.GetString(plain.ToJson()), url: null);
        var largeUrl = await warehouse.KeepOnS3Async("102", large);
        await warehouse.InsertLetterAsync("102", "too large for an old consumer", text: null, largeUrl);
        // Redshift enforces no unique key: an older consumer that replayed a record wrote its letter twice.
        await warehouse.InsertLetterAsync("102", "too large for an old consumer", text: null, largeUrl);
        await warehouse.InsertLetterAsync("103", "old rule", Encoding.UTF8.GetString(longType), url: null);

        var run = await warehouse.Redrive().RunAsync(new RedriveRequest(), CancellationToken.None);
        Assert.Equal((5L, 3L, 2L, 0L, 0L, 2L), Counts(run));
        Assert.Contains(run.StillFailingReasons.Keys, r => r.StartsWith("its payload is no longer at s3://", StringComparison.Ordinal));
        Assert.Contains(run.StillFailingReasons.Keys, r => r.Contains("events.type holds at most 64", StringComparison.Ordinal));
        Assert.Equal(new HashSet<string> { plain.MessageId, "large-1" }, await warehouse.Db.MessageIdsAsync());
        Assert.Equal(30_000, await warehouse.Db.ScalarAsync<int>("SELECT length(properties->>'c') FROM events WHERE message_id = 'large-1'"));
        Assert.Single(warehouse.Copy.Copied);
        Assert.Equal(["100", "103"], await warehouse.LetterSequencesAsync());
        Assert.Empty(await RedshiftRehearsal.KeysAsync(warehouse.S3, $"{warehouse.Prefix}/staging"));
    }

    private static (long Examined, long Loaded, long Inserted, long Split, long UserRecords, long StillFailing) Counts(RedriveResult result) =>
        (result.Examined, result.Loaded, result.EventsInserted, result.Split, result.UserRecordsStillFailing, result.StillFailing);

    private static byte[] Aggregate(params byte[][] userRecords)
    {
        var aggregate = new AggregatedRecordBuilder();
        for (var i = 0; i < userRecords.Length; i++)
        {
            aggregate.Add($"key-{i}", userRecords[i]);
        }

        return aggregate.Build();
    }

    private async Task<PostgresWarehouse> PostgresAsync(string name)
    {
        var connectionString = await postgres.CreateDatabaseAsync(name);
        var source = NpgsqlDataSource.Create(connectionString);
        await new PostgresSchema(source, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);
        return new PostgresWarehouse(source, new WarehouseDb(connectionString));
    }

    private async Task<RedshiftWarehouse> RedshiftAsync(string name)
    {
        var connectionString = await postgres.CreateDatabaseAsync(name);
        await RedshiftRehearsal.PrepareDatabaseAsync(connectionString);
        var source = NpgsqlDataSource.Create(connectionString);
        await new RedshiftSchema(source, new RedshiftSql(tableAttributes: false), TimeProvider.System, NullLogger<RedshiftSchema>.Instance).MigrateAsync(CancellationToken.None);
        return new RedshiftWarehouse(source, new WarehouseDb(connectionString), RedshiftRehearsal.S3Client(s3rver), s3rver);
    }

    private sealed class PostgresWarehouse(NpgsqlDataSource source, WarehouseDb db) : IAsyncDisposable
    {
        public WarehouseDb Db => db;

        public PostgresRedrive Redrive() => new(source, TimeProvider.System, NullLogger<PostgresRedrive>.Instance);

        public async Task InsertLetterAsync(string sequence, string reason, byte[] payload)
        {
            await using var insert = source.CreateCommand(
                "INSERT INTO dead_letters (stream, shard_id, sequence_number, reason, payload, failed_at) VALUES ($1, $2, $3, $4, $5, now())");
            insert.Parameters.Add(new NpgsqlParameter { Value = Stream });
            insert.Parameters.Add(new NpgsqlParameter { Value = ShardId });
            insert.Parameters.Add(new NpgsqlParameter { Value = sequence });
            insert.Parameters.Add(new NpgsqlParameter { Value = reason });
            insert.Parameters.Add(new NpgsqlParameter { Value = payload });
            await insert.ExecuteNonQueryAsync();
        }

        public async Task<List<string>> LetterSequencesAsync() =>
            [.. (await db.RowsAsync("SELECT sequence_number FROM dead_letters ORDER BY sequence_number")).Select(r => (string)r[0]!)];

        public ValueTask DisposeAsync() => source.DisposeAsync();
    }

    private sealed class RedshiftWarehouse(NpgsqlDataSource source, WarehouseDb db, AmazonS3Client s3, S3rverFixture s3rver) : IAsyncDisposable
    {
        public string Prefix { get; } = $"test-{Guid.NewGuid():N}";

        public WarehouseDb Db => db;

        public AmazonS3Client S3 => s3;

        public StagedFileCopy Copy { get; } = new(s3);

        public RedshiftRedrive Redrive()
        {
            // Any row goes by INSERT unless it needs COPY: the threshold is not what is tested here.
            var options = Options.Create(RedshiftRehearsal.Options(s3rver, Prefix, copyThresholdRows: 1000));
            return new RedshiftRedrive(source, new S3Staging(s3, options), Copy, new RedshiftSql(tableAttributes: false), options, TimeProvider.System, NullLogger<RedshiftRedrive>.Instance);
        }

        public async Task<string> KeepOnS3Async(string sequence, byte[] payload)
        {
            var key = $"{Prefix}/dead-letters/{Stream}/{ShardId}/{sequence}.bin";
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.Bucket, Key = key, InputStream = new MemoryStream(payload), UseChunkEncoding = false });
            return $"s3://{S3rverFixture.Bucket}/{key}";
        }

        public async Task<byte[]> ReadS3Async(string url)
        {
            var uri = new Uri(url);
            using var response = await s3.GetObjectAsync(uri.Host, uri.AbsolutePath.TrimStart('/'));
            using var body = new MemoryStream();
            await response.ResponseStream.CopyToAsync(body);
            return body.ToArray();
        }

        public async Task InsertLetterAsync(string sequence, string reason, string? text, string? url)
        {
            await using var insert = source.CreateCommand(RedshiftSql.InsertDeadLetter);
            insert.Parameters.Add(new NpgsqlParameter { Value = Stream });
            insert.Parameters.Add(new NpgsqlParameter { Value = ShardId });
            insert.Parameters.Add(new NpgsqlParameter { Value = sequence });
            insert.Parameters.Add(new NpgsqlParameter { Value = reason });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)url ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            insert.Parameters.Add(new NpgsqlParameter { Value = DateTime.UtcNow });
            await insert.ExecuteNonQueryAsync();
        }

        public async Task<List<string>> LetterSequencesAsync() =>
            [.. (await db.RowsAsync("SELECT sequence_number FROM dead_letters ORDER BY sequence_number")).Select(r => (string)r[0]!)];

        public async ValueTask DisposeAsync()
        {
            s3.Dispose();
            await source.DisposeAsync();
        }
    }
}
