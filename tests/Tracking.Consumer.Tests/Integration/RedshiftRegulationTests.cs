using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Regulations;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// The Redshift deletion run for real against s3rver (dead letters kept on S3) and PostgreSQL running the dialect's
/// SQL (<see cref="RedshiftRehearsal"/>): events, inline letters and letters on S3 holding the id go, with their objects.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed class RedshiftRegulationTests(PostgresServer postgres, S3rverFixture s3rver) : IAsyncLifetime
{
    private const string Stream = "events";
    private const string ShardId = "shardId-000000000000";
    private readonly string _prefix = $"test-{Guid.NewGuid():N}";
    private NpgsqlDataSource _source = null!;
    private WarehouseDb _warehouse = null!;
    private AmazonS3Client _s3 = null!;

    public async Task InitializeAsync()
    {
        var warehouse = await postgres.CreateDatabaseAsync("redshift-regulations");
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
    public async Task EventsInlineLettersAndLettersOnS3HoldingTheIdGoWithTheirObjectsAndTheRestStay()
    {
        await InsertEventAsync("m1", "u1");
        await InsertEventAsync("m2", "u2");
        var aggregate = new AggregatedRecordBuilder();
        aggregate.Add("u1", Encoding.UTF8.GetBytes("""{"type":"track","userId":"u1","event":"E"}"""));
        var held = await KeepOnS3Async("100", aggregate.Build());
        var other = await KeepOnS3Async("101", Encoding.UTF8.GetBytes("""{"userId":"u2"}"""));
        await InsertLetterAsync("102", """{"userId":"u1","event":""", url: null);
        await InsertLetterAsync("103", """{"userId":"u2","event":""", url: null);

        var first = await Regulations().DeleteAsync(new RegulationRequest(UserId: "u1", RequestedBy: "ticket 9"), CancellationToken.None);

        Assert.Equal((RegulationKinds.Completed, 1L, 2L), (first.Outcome, first.EventsDeleted, first.DeadLettersDeleted));
        Assert.Equal("m2", await _warehouse.ScalarAsync<string>("SELECT message_id FROM events"));
        Assert.Equal(["101", "103"], (await _warehouse.RowsAsync("SELECT sequence_number FROM dead_letters ORDER BY 1")).Select(r => (string)r[0]!));
        await Assert.ThrowsAsync<NoSuchKeyException>(() => _s3.GetObjectAsync(S3rverFixture.Bucket, held));
        using (await _s3.GetObjectAsync(S3rverFixture.Bucket, other))
        {
        }

        var recorded = Assert.Single(await _warehouse.RowsAsync("SELECT id, id_kind, subject, requested_by, outcome, events_deleted, dead_letters_deleted FROM regulations"));
        Assert.Equal([first.Id.ToString(), "userId", "u1", "ticket 9", "completed", 1L, 2L], recorded);

        var again = await Regulations().DeleteAsync(new RegulationRequest(UserId: "u1", RequestedBy: "ticket 9"), CancellationToken.None);
        Assert.Equal((RegulationKinds.Completed, 0L, 0L), (again.Outcome, again.EventsDeleted, again.DeadLettersDeleted));
        Assert.Equal(2, (await Regulations().ListAsync(CancellationToken.None)).Regulations.Count);
    }

    private RedshiftRegulations Regulations()
    {
        var options = Options.Create(RedshiftRehearsal.Options(s3rver, _prefix));
        return new RedshiftRegulations(_source, new S3Staging(_s3, options), new FakeTimeProvider(DateTimeOffset.UtcNow), NullLogger<RedshiftRegulations>.Instance);
    }

    private async Task<string> KeepOnS3Async(string sequence, byte[] payload)
    {
        var key = $"{_prefix}/dead-letters/{Stream}/{ShardId}/{sequence}.bin";
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.Bucket, Key = key, InputStream = new MemoryStream(payload), UseChunkEncoding = false });
        await InsertLetterAsync(sequence, text: null, url: $"s3://{S3rverFixture.Bucket}/{key}");
        return key;
    }

    private async Task InsertEventAsync(string messageId, string userId)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO events (message_id, type, user_id, received_at, loaded_at) VALUES ($1, 'track', $2, now(), now())", connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = messageId });
        insert.Parameters.Add(new NpgsqlParameter { Value = userId });
        await insert.ExecuteNonQueryAsync();
    }

    private async Task InsertLetterAsync(string sequence, string? text, string? url)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var insert = new NpgsqlCommand(RedshiftSql.InsertDeadLetter, connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = Stream });
        insert.Parameters.Add(new NpgsqlParameter { Value = ShardId });
        insert.Parameters.Add(new NpgsqlParameter { Value = sequence });
        insert.Parameters.Add(new NpgsqlParameter { Value = "not JSON" });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)url ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        insert.Parameters.Add(new NpgsqlParameter { Value = DateTime.UtcNow });
        await insert.ExecuteNonQueryAsync();
    }
}
