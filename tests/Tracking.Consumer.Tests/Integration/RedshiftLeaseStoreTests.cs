using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>Leases in their own PostgreSQL database (<c>Consumer:Leases:Store=Postgres</c>), checkpoints and the fence in
/// the (rehearsed) Redshift database, the claim made by the loader when a shard starts.</summary>
[Collection(Infrastructure.Name)]
public sealed class RedshiftLeaseStoreTests(PostgresServer postgres, S3rverFixture s3rver) : IAsyncLifetime
{
    private const string Stream = "events";
    private const string ShardId = "shardId-000000000000";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero));
    private NpgsqlDataSource _warehouseSource = null!;
    private NpgsqlDataSource _leaseSource = null!;
    private WarehouseDb _warehouse = null!;
    private WarehouseDb _leaseDb = null!;
    private RedshiftLeaseStore _store = null!;
    private Amazon.S3.AmazonS3Client _s3 = null!;
    private RedshiftLoader _loader = null!;

    public async Task InitializeAsync()
    {
        var warehouse = await postgres.CreateDatabaseAsync("redshift");
        await RedshiftRehearsal.PrepareDatabaseAsync(warehouse);
        _warehouseSource = NpgsqlDataSource.Create(warehouse);
        _warehouse = new WarehouseDb(warehouse);
        await new RedshiftSchema(_warehouseSource, new RedshiftSql(tableAttributes: false), _clock, NullLogger<RedshiftSchema>.Instance).MigrateAsync(CancellationToken.None);
        var leases = await postgres.CreateDatabaseAsync("leases");
        _leaseSource = NpgsqlDataSource.Create(leases);
        _leaseDb = new WarehouseDb(leases);
        await new PostgresLeaseSchema(_leaseSource).CreateAsync(CancellationToken.None);
        await new PostgresLeaseSchema(_leaseSource).CreateAsync(CancellationToken.None);
        _store = new RedshiftLeaseStore(new PostgresLeaseStore(_leaseSource), new RedshiftCheckpoints(_warehouseSource));
        await _store.AddShardsAsync(Stream, [new NewShard(ShardId, [], "TRIM_HORIZON")], CancellationToken.None);
        _s3 = RedshiftRehearsal.S3Client(s3rver);
        var options = Options.Create(RedshiftRehearsal.Options(s3rver, $"test-{Guid.NewGuid():N}"));
        _loader = new RedshiftLoader(
            _warehouseSource, new S3Staging(_s3, options), new StagedFileCopy(_s3), new RedshiftSql(tableAttributes: false), new RedshiftCheckpoints(_warehouseSource),
            options, TestMetrics.Create(), _clock, NullLogger<RedshiftLoader>.Instance);
    }

    public async Task DisposeAsync()
    {
        _s3.Dispose();
        await _warehouseSource.DisposeAsync();
        await _leaseSource.DisposeAsync();
    }

    [Fact]
    public async Task AStreamCreatedAgainUnderItsNameHasItsOldLeasesAndRedshiftCheckpointsSetAside()
    {
        var checkpoints = new RedshiftCheckpoints(_warehouseSource);

        await StreamIdentityContract.VerifyAsync(_store, "staging", fence => checkpoints.ClaimAsync(fence, CancellationToken.None));

        Assert.Equal(1, await _warehouse.ScalarAsync<long>($"SELECT count(*) FROM shard_checkpoints WHERE stream = '{StreamIdentityContract.Old.AsideName("staging")}'"));
        Assert.Equal(0, await _warehouse.ScalarAsync<long>("SELECT count(*) FROM shard_checkpoints WHERE stream = 'staging'"));
        Assert.Equal(StreamIdentityContract.New.CreatedAt, await _warehouse.ScalarAsync<DateTime>("SELECT created_at FROM stream_identities WHERE stream = 'staging'"));
        Assert.Equal(StreamIdentityContract.New.CreatedAt, await _leaseDb.ScalarAsync<DateTime>("SELECT created_at FROM stream_identities WHERE stream = 'staging'"));
    }

    [Fact]
    public async Task StartingAShardClaimsTheFenceInTheWarehouseAndAStealMovesItOn()
    {
        var first = await TakeAndBeginAsync("worker-a");
        Assert.Equal(["worker-a", first.Counter], (await _warehouse.RowsAsync("SELECT owner, counter FROM shard_checkpoints")).Single());

        var stolen = await TakeAndBeginAsync("worker-b");

        Assert.True(stolen.Counter > first.Counter);
        Assert.Equal(["worker-b", stolen.Counter], (await _warehouse.RowsAsync("SELECT owner, counter FROM shard_checkpoints")).Single());
        Assert.False(await _store.RenewAsync(first, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None));
    }

    [Fact]
    public async Task TakesRenewalsAndReleasesWriteOnlyTheLeaseDatabase()
    {
        await TakeAndBeginAsync("worker-a");
        var before = await _warehouse.RowsAsync("SELECT owner, counter, checkpoint, finished, xmin::text FROM shard_checkpoints");

        var lease = (await _store.ListAsync(Stream, CancellationToken.None)).Single();
        var fence = (await _store.TryTakeAsync(Stream, ShardId, lease.Counter, "worker-b", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
        Assert.True(await _store.RenewAsync(fence, _clock.GetUtcNow().AddSeconds(30), CancellationToken.None));
        await _store.ReleaseAsync(fence, CancellationToken.None);

        Assert.Equal(before, await _warehouse.RowsAsync("SELECT owner, counter, checkpoint, finished, xmin::text FROM shard_checkpoints"));
        Assert.Null((await _leaseDb.RowsAsync("SELECT owner FROM shard_leases")).Single()[0]);
    }

    [Fact]
    public async Task ALeaseDatabaseBehindTheWarehouseLetsNoShardStart()
    {
        var fence = await TakeAndBeginAsync("worker-a");

        // As if the lease database were recreated: its counter restarts below the one Redshift holds.
        await _leaseDb.ScalarAsync<int>("UPDATE shard_leases SET counter = 0, owner = NULL RETURNING 1");
        var lease = (await _store.ListAsync(Stream, CancellationToken.None)).Single();
        var taken = (await _store.TryTakeAsync(Stream, ShardId, lease.Counter, "worker-b", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;

        Assert.Null(await _loader.BeginAsync(taken, lease.ToCheckpoint(), CancellationToken.None));
        Assert.Equal(["worker-a", fence.Counter], (await _warehouse.RowsAsync("SELECT owner, counter FROM shard_checkpoints")).Single());
    }

    [Fact]
    public async Task ALoadInProgressHoldsUpAClaimButNotTheLeaseListingNorATake()
    {
        var first = await TakeAndBeginAsync("worker-a");
        await using var load = await _warehouseSource.OpenConnectionAsync();
        await using var transaction = await load.BeginTransactionAsync();
        await using (var lockLoads = new NpgsqlCommand(RedshiftSql.LockLoads, load, transaction))
        {
            await lockLoads.ExecuteNonQueryAsync();
        }

        var listing = _store.ListAsync(Stream, CancellationToken.None);
        Assert.Same(listing, await Task.WhenAny(listing, Task.Delay(TimeSpan.FromSeconds(30))));
        var lease = Assert.Single(await listing);
        var taking = _store.TryTakeAsync(Stream, ShardId, lease.Counter, "worker-b", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None);
        Assert.Same(taking, await Task.WhenAny(taking, Task.Delay(TimeSpan.FromSeconds(30))));
        var taken = (await taking)!.Value;
        var claim = _loader.BeginAsync(taken, lease.ToCheckpoint(), CancellationToken.None);
        await Eventually.TrueAsync(
            async () => await _warehouse.ScalarAsync<long>("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'consumer_load_lock' AND NOT l.granted") == 1,
            "the claim waits for the load lock",
            TimeSpan.FromSeconds(30));
        Assert.False(claim.IsCompleted);

        await transaction.CommitAsync();

        Assert.NotNull(await claim);
        Assert.True(taken.Counter > first.Counter);
        Assert.Equal(["worker-b", taken.Counter], (await _warehouse.RowsAsync("SELECT owner, counter FROM shard_checkpoints")).Single());
    }

    private async Task<ShardFence> TakeAndBeginAsync(string worker)
    {
        var lease = (await _store.ListAsync(Stream, CancellationToken.None)).Single();
        var fence = (await _store.TryTakeAsync(Stream, ShardId, lease.Counter, worker, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
        Assert.NotNull(await _loader.BeginAsync(fence, lease.ToCheckpoint(), CancellationToken.None));
        return fence;
    }
}
