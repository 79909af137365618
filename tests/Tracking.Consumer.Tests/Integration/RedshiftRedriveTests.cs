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
/// The Redshift re-drive for real against s3rver (payloads kept on S3) and PostgreSQL running the dialect's SQL
/// (<see cref="RedshiftRehearsal"/>): what loads now moves to <c>events</c>, once, and its letter (and S3 copy) goes.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed class RedshiftRedriveTests(PostgresServer postgres, S3rverFixture s3rver) : IAsyncLifetime
{
    private const string Stream = "events";
    private const string ShardId = "shardId-000000000000";
    private readonly string _prefix = $"test-{Guid.NewGuid():N}";
    private NpgsqlDataSource _source = null!;
    private WarehouseDb _warehouse = null!;
    private AmazonS3Client _s3 = null!;

    public async Task InitializeAsync()
    {
        var warehouse = await postgres.CreateDatabaseAsync("redshift-redrive");
        await RedshiftRehearsal.PrepareDatabaseAsync(warehouse);
        _source = NpgsqlDataSource.Create(warehouse);
        _warehouse = new WarehouseDb(warehouse);
        await new RedshiftSchema(_source, new RedshiftSql(tableAttributes: false), TimeProvider.System, NullLogger<RedshiftSchema>.Instance).MigrateAsync(CancellationToken.None);
        _s3 = RedshiftRehearsal.S3Client(s3rver);
    }

    public async Task DisposeAsync()
    {
        _s3.Dispose();
        await _source.DisposeAsync();
    }

    [Fact]
    public async Task LettersOnS3AndInlineThatLoadNowMoveToEventsOnceAndTheRestStay()
    {
        var live = TestEvent.Many(users: 1, perUser: 1, prefix: "live").Single();
        await InsertEventAsync(live);

        // A KPL aggregate is binary: an older consumer kept it on S3 and referenced it by URL.
        var aggregate = new AggregatedRecordBuilder();
        foreach (var e in TestEvent.Many(users: 3, perUser: 1, prefix: "kpl"))
        {
            aggregate.Add(e.UserId, e.ToJson());
        }

        var key = $"{_prefix}/dead-letters/{Stream}/{ShardId}/100.bin";
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.Bucket, Key = key, InputStream = new MemoryStream(aggregate.Build()), UseChunkEncoding = false });
        await InsertLetterAsync("100", "not JSON: '0xF3' is an invalid start of a value", text: null, url: $"s3://{S3rverFixture.Bucket}/{key}");
        await InsertLetterAsync("101", "old rule: held already", Encoding.UTF8.GetString(live.ToJson()), url: null);
        await InsertLetterAsync("102", "not JSON: truncated", "{\"type\":\"track\"", url: null);

        var dry = await Redrive().RunAsync(new RedriveRequest(DryRun: true), CancellationToken.None);
        Assert.Equal((3L, 2L, 3L, 1L, 1L), (dry.Examined, dry.Loaded, dry.EventsInserted, dry.Duplicates, dry.StillFailing));
        Assert.Equal(3L, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        Assert.Equal(1L, await _warehouse.EventCountAsync());

        var old = await Redrive().RunAsync(new RedriveRequest(Reason: "old rule:"), CancellationToken.None);
        Assert.Equal((1L, 1L, 0L, 1L, 0L), (old.Examined, old.Loaded, old.EventsInserted, old.Duplicates, old.StillFailing));

        var all = await Redrive().RunAsync(new RedriveRequest(), CancellationToken.None);
        Assert.Equal((2L, 1L, 3L, 0L, 1L), (all.Examined, all.Loaded, all.EventsInserted, all.Duplicates, all.StillFailing));
        Assert.Equal(4L, await _warehouse.EventCountAsync());
        Assert.Superset(new HashSet<string> { "kpl-0-0", "kpl-1-0", "kpl-2-0", "live-0-0" }, await _warehouse.MessageIdsAsync());
        Assert.Equal("102", (string)Assert.Single(await _warehouse.RowsAsync("SELECT sequence_number FROM dead_letters"))[0]!);
        await Assert.ThrowsAsync<NoSuchKeyException>(() => _s3.GetObjectAsync(S3rverFixture.Bucket, key));

        var again = await Redrive().RunAsync(new RedriveRequest(), CancellationToken.None);
        Assert.Equal((1L, 0L, 0L), (again.Examined, again.Loaded, again.EventsInserted));
        Assert.Equal(4L, await _warehouse.EventCountAsync());
    }

    private RedshiftRedrive Redrive()
    {
        var options = Options.Create(RedshiftRehearsal.Options(s3rver, _prefix));
        return new RedshiftRedrive(_source, new S3Staging(_s3, options), new StagedFileCopy(_s3), new RedshiftSql(tableAttributes: false), options, TimeProvider.System, NullLogger<RedshiftRedrive>.Instance);
    }

    private async Task InsertEventAsync(TestEvent e)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO events (message_id, type, received_at, loaded_at) VALUES ($1, 'track', now(), now())", connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = e.MessageId });
        await insert.ExecuteNonQueryAsync();
    }

    private async Task InsertLetterAsync(string sequence, string reason, string? text, string? url)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var insert = new NpgsqlCommand(RedshiftSql.InsertDeadLetter, connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = Stream });
        insert.Parameters.Add(new NpgsqlParameter { Value = ShardId });
        insert.Parameters.Add(new NpgsqlParameter { Value = sequence });
        insert.Parameters.Add(new NpgsqlParameter { Value = reason });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)url ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        insert.Parameters.Add(new NpgsqlParameter { Value = DateTime.UtcNow });
        await insert.ExecuteNonQueryAsync();
    }
}
