using System.Text;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>The DynamoDB lease store against dynalite: take, renew, expire, steal, release; and the fence it feeds in
/// the (rehearsed on PostgreSQL) Redshift load transaction.</summary>
[Collection(Infrastructure.Name)]
public sealed class DynamoDbLeaseStoreTests(DynaliteFixture dynalite, PostgresServer postgres, S3rverFixture s3rver) : IAsyncLifetime
{
    private const string Stream = "events";
    private const string ShardId = "shardId-000000000000";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero));
    private readonly string _table = $"leases-{Guid.NewGuid():N}";
    private AmazonDynamoDBClient _client = null!;
    private DynamoDbLeaseStore _store = null!;

    public async Task InitializeAsync()
    {
        _client = DynamoDbLeaseStore.CreateClient(
            new AwsClientSettings { Region = DynaliteFixture.Region, ServiceUrl = dynalite.ServiceUrl },
            new BasicAWSCredentials("dynalite", "dynalite"));
        _store = new DynamoDbLeaseStore(_client, _table, TimeProvider.System);
        await _store.EnsureTableAsync(CancellationToken.None);
        await _store.AddShardsAsync(Stream, [new NewShard(ShardId, [], "TRIM_HORIZON")], CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TheTableAndEachShardAreCreatedOnceWithTheirParents()
    {
        await _store.EnsureTableAsync(CancellationToken.None);
        await _store.AddShardsAsync(Stream, [new NewShard(ShardId, [], "LATEST"), new NewShard("shardId-000000000002", [ShardId, "shardId-000000000001"], "TRIM_HORIZON")], CancellationToken.None);

        var leases = await _store.ListAsync(Stream, CancellationToken.None);

        Assert.Equal(2, leases.Count);
        Assert.Equal(new Lease(ShardId, [], "TRIM_HORIZON", null, 0, null, null, false), leases[0] with { ParentShardIds = [] });
        Assert.Empty(leases[0].ParentShardIds);
        Assert.Equal([ShardId, "shardId-000000000001"], leases[1].ParentShardIds);
        Assert.Empty(await _store.ListAsync("another-stream", CancellationToken.None));
    }

    [Fact]
    public async Task ALeaseIsTakenRenewedLeftToExpireAndStolenAndTheFormerHolderCanNeitherRenewNorRelease()
    {
        var a = await TakeAsync("worker-a");
        Assert.Equal(1, a.Counter);
        var now = _clock.GetUtcNow();

        Assert.True(await _store.RenewAsync(a, now.AddSeconds(20), CancellationToken.None));
        var renewed = Assert.Single(await _store.ListAsync(Stream, CancellationToken.None));
        Assert.Equal(("worker-a", now.AddSeconds(20)), (renewed.Owner, renewed.ExpiresAt));
        Assert.True(renewed.IsHeld(now));
        Assert.Null(await _store.TryTakeAsync(Stream, ShardId, observedCounter: 0, "worker-b", now.AddSeconds(10), CancellationToken.None));

        _clock.Advance(TimeSpan.FromSeconds(21));
        var expired = Assert.Single(await _store.ListAsync(Stream, CancellationToken.None));
        Assert.False(expired.IsHeld(_clock.GetUtcNow()));
        var b = await TakeAsync("worker-b");

        Assert.Equal(2, b.Counter);
        Assert.False(await _store.RenewAsync(a, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None));
        await _store.ReleaseAsync(a, CancellationToken.None);
        Assert.Equal(("worker-b", 2L), Assert.Single(await _store.ListAsync(Stream, CancellationToken.None)) is var l ? (l.Owner, l.Counter) : default);
    }

    [Fact]
    public async Task AStreamCreatedAgainUnderItsNameHasItsOldLeasesSetAsideByExactlyOneWorker() =>
        await StreamIdentityContract.VerifyAsync(_store, "staging");

    [Fact]
    public async Task ASetAsideStoppedMidwayIsFinishedByTheNextWorkerAndKeepsTheNewStreamsLeases()
    {
        await _store.AdoptStreamAsync("staging", StreamIdentityContract.Old, CancellationToken.None);
        await _store.AddShardsAsync("staging", [new NewShard("shardId-000000000001", [], "TRIM_HORIZON")], CancellationToken.None);

        // A worker that turned the identity and stopped before moving anything; the new stream's shard 0 is added.
        await _client.UpdateItemAsync(new Amazon.DynamoDBv2.Model.UpdateItemRequest
        {
            TableName = _table,
            Key = new() { ["streamName"] = new() { S = "staging@identity" }, ["shardId"] = new() { S = "identity" } },
            UpdateExpression = "SET streamCreatedAt = :new, settingAside = :old",
            ExpressionAttributeValues = new()
            {
                [":new"] = new() { N = StreamIdentityContract.New.CreatedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
                [":old"] = new() { N = StreamIdentityContract.Old.CreatedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
        });
        var next = new DynamoDbLeaseStore(_client, _table, TimeProvider.System);
        Assert.Null(await next.AdoptStreamAsync("staging", StreamIdentityContract.New, CancellationToken.None));
        await next.AddShardsAsync("staging", [new NewShard(ShardId, [], "TRIM_HORIZON")], CancellationToken.None);
        Assert.Null(await next.AdoptStreamAsync("staging", StreamIdentityContract.New, CancellationToken.None));

        Assert.Equal([ShardId], (await next.ListAsync("staging", CancellationToken.None)).Select(l => l.ShardId));
        Assert.Equal(["shardId-000000000001"], (await next.ListAsync(StreamIdentityContract.Old.AsideName("staging"), CancellationToken.None)).Select(l => l.ShardId));
    }

    [Fact]
    public async Task OfWorkersTakingTheSameLeaseAtOnceExactlyOneWins()
    {
        var lease = Assert.Single(await _store.ListAsync(Stream, CancellationToken.None));

        var takes = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            _store.TryTakeAsync(Stream, ShardId, lease.Counter, $"worker-{i}", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None)));

        var winner = Assert.Single(takes, t => t is not null);
        Assert.Equal(winner!.Value.Owner, Assert.Single(await _store.ListAsync(Stream, CancellationToken.None)).Owner);
    }

    [Fact]
    public async Task AReleasedLeaseHasNoOwnerAndANewCounter()
    {
        var a = await TakeAsync("worker-a");

        await _store.ReleaseAsync(a, CancellationToken.None);

        var released = Assert.Single(await _store.ListAsync(Stream, CancellationToken.None));
        Assert.Equal((null, 2L, null), (released.Owner, released.Counter, released.ExpiresAt));
        Assert.Equal(3, (await TakeAsync("worker-b")).Counter);
    }

    [Fact]
    public async Task AStolenLeaseFencesTheFormerHoldersLoadInRedshiftEvenBeforeTheThiefLoads()
    {
        var warehouse = await postgres.CreateDatabaseAsync("redshift");
        await RedshiftRehearsal.PrepareDatabaseAsync(warehouse);
        await using var dataSource = NpgsqlDataSource.Create(warehouse);
        await new RedshiftSchema(dataSource, new RedshiftSql(tableAttributes: false), _clock, NullLogger<RedshiftSchema>.Instance).MigrateAsync(CancellationToken.None);
        var leases = new RedshiftLeaseStore(_store, new RedshiftCheckpoints(dataSource));
        using var s3 = RedshiftRehearsal.S3Client(s3rver);
        var options = Options.Create(RedshiftRehearsal.Options(s3rver, $"test-{Guid.NewGuid():N}"));
        var loader = new RedshiftLoader(dataSource, new S3Staging(s3, options), new StagedFileCopy(s3), new RedshiftSql(tableAttributes: false), new RedshiftCheckpoints(dataSource), options, TestMetrics.Create(), _clock, NullLogger<RedshiftLoader>.Instance);
        var a = (await leases.TryTakeAsync(Stream, ShardId, 0, "worker-a", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
        Assert.Null((await loader.BeginAsync(a, Assert.Single(await leases.ListAsync(Stream, CancellationToken.None)).ToCheckpoint(), CancellationToken.None))!.SequenceNumber);
        Assert.Equal(LoadOutcome.Committed, (await loader.LoadAsync(new LoadBatch(a, [Row("101", "a-1")], [], "101", false), CancellationToken.None)).Outcome);

        _clock.Advance(TimeSpan.FromSeconds(11));
        var lease = Assert.Single(await leases.ListAsync(Stream, CancellationToken.None));
        Assert.Equal("101", lease.Checkpoint);
        var b = (await leases.TryTakeAsync(Stream, ShardId, lease.Counter, "worker-b", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
        Assert.Equal("101", (await loader.BeginAsync(b, lease.ToCheckpoint(), CancellationToken.None))!.SequenceNumber);

        var late = await loader.LoadAsync(new LoadBatch(a, [Row("102", "a-2")], [], "102", false), CancellationToken.None);
        var current = await loader.LoadAsync(new LoadBatch(b, [Row("102", "a-2")], [], "102", false), CancellationToken.None);

        Assert.Equal(LoadOutcome.LeaseLost, late.Outcome);
        Assert.Equal(new LoadResult(LoadOutcome.Committed, 1, 0), current);
        var db = new WarehouseDb(warehouse);
        Assert.Equal(["a-1", "a-2"], (await db.MessageIdsAsync()).Order());
        Assert.Equal(["worker-b", b.Counter, "102"], (await db.RowsAsync("SELECT owner, counter, checkpoint FROM shard_checkpoints")).Single());
    }

    private async Task<ShardFence> TakeAsync(string worker)
    {
        var lease = Assert.Single(await _store.ListAsync(Stream, CancellationToken.None));
        return (await _store.TryTakeAsync(Stream, ShardId, lease.Counter, worker, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
    }

    private static EventRow Row(string sequenceNumber, string messageId) =>
        EventRecords.Parse(Stream, ShardId, new KinesisRecord
        {
            SequenceNumber = sequenceNumber,
            PartitionKey = "k",
            Data = Encoding.UTF8.GetBytes($$"""{"type":"track","messageId":"{{messageId}}","userId":"u","event":"e","receivedAt":"2026-11-30T06:00:00Z"}"""),
        }).Row!;
}
