using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>Leases in their own PostgreSQL database, checkpoints and the fence in the (rehearsed) Redshift database.</summary>
[Collection(Infrastructure.Name)]
public sealed class RedshiftLeaseStoreTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string Stream = "events";
    private const string ShardId = "shardId-000000000000";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero));
    private NpgsqlDataSource _warehouseSource = null!;
    private NpgsqlDataSource _leaseSource = null!;
    private WarehouseDb _warehouse = null!;
    private WarehouseDb _leaseDb = null!;
    private RedshiftLeaseStore _store = null!;

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
        _store = new RedshiftLeaseStore(new PostgresLeaseStore(_leaseSource), new RedshiftCheckpoints(_warehouseSource), NullLogger<RedshiftLeaseStore>.Instance);
        await _store.AddShardsAsync(Stream, [new NewShard(ShardId, [], "TRIM_HORIZON")], CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _warehouseSource.DisposeAsync();
        await _leaseSource.DisposeAsync();
    }

    [Fact]
    public async Task TakingALeaseClaimsTheFenceInTheWarehouseAndAStealMovesItOn()
    {
        var first = await TakeAsync("worker-a");
        Assert.Equal(["worker-a", first.Counter], (await _warehouse.RowsAsync("SELECT owner, counter FROM shard_checkpoints")).Single());

        var stolen = await TakeAsync("worker-b");

        Assert.True(stolen.Counter > first.Counter);
        Assert.Equal(["worker-b", stolen.Counter], (await _warehouse.RowsAsync("SELECT owner, counter FROM shard_checkpoints")).Single());
        Assert.False(await _store.RenewAsync(first, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None));
    }

    [Fact]
    public async Task RenewalsAndReleasesWriteOnlyTheLeaseDatabase()
    {
        var fence = await TakeAsync("worker-a");
        var before = await _warehouse.RowsAsync("SELECT owner, counter, checkpoint, finished, xmin::text FROM shard_checkpoints");

        Assert.True(await _store.RenewAsync(fence, _clock.GetUtcNow().AddSeconds(30), CancellationToken.None));
        await _store.ReleaseAsync(fence, CancellationToken.None);

        Assert.Equal(before, await _warehouse.RowsAsync("SELECT owner, counter, checkpoint, finished, xmin::text FROM shard_checkpoints"));
        Assert.Null((await _leaseDb.RowsAsync("SELECT owner FROM shard_leases")).Single()[0]);
    }

    [Fact]
    public async Task ALeaseDatabaseBehindTheWarehouseGrantsNothing()
    {
        var fence = await TakeAsync("worker-a");

        // As if the lease database were recreated: its counter restarts below the one Redshift holds.
        await _leaseDb.ScalarAsync<int>("UPDATE shard_leases SET counter = 0, owner = NULL RETURNING 1");
        var lease = (await _store.ListAsync(Stream, CancellationToken.None)).Single();
        var taken = await _store.TryTakeAsync(Stream, ShardId, lease.Counter, "worker-b", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None);

        Assert.Null(taken);
        Assert.Equal(["worker-a", fence.Counter], (await _warehouse.RowsAsync("SELECT owner, counter FROM shard_checkpoints")).Single());
        Assert.Null((await _leaseDb.RowsAsync("SELECT owner FROM shard_leases")).Single()[0]);
    }

    [Fact]
    public async Task ALoadInProgressHoldsUpClaimsButNotTheLeaseListing()
    {
        var first = await TakeAsync("worker-a");
        await using var load = await _warehouseSource.OpenConnectionAsync();
        await using var transaction = await load.BeginTransactionAsync();
        await using (var lockLoads = new NpgsqlCommand(RedshiftSql.LockLoads, load, transaction))
        {
            await lockLoads.ExecuteNonQueryAsync();
        }

        var listing = _store.ListAsync(Stream, CancellationToken.None);
        Assert.Same(listing, await Task.WhenAny(listing, Task.Delay(TimeSpan.FromSeconds(30))));
        var lease = Assert.Single(await listing);
        var claim = _store.TryTakeAsync(Stream, ShardId, lease.Counter, "worker-b", _clock.GetUtcNow().AddSeconds(10), CancellationToken.None);
        await WarehouseDb.WaitUntilAsync(
            async () => await _warehouse.ScalarAsync<long>("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'consumer_load_lock' AND NOT l.granted") == 1,
            TimeSpan.FromSeconds(30),
            () => Task.FromResult("the claim never waited for the load lock"));
        Assert.False(claim.IsCompleted);

        await transaction.CommitAsync();

        var taken = await claim;
        Assert.True(taken!.Value.Counter > first.Counter);
    }

    private async Task<Loading.ShardFence> TakeAsync(string worker)
    {
        var lease = (await _store.ListAsync(Stream, CancellationToken.None)).Single();
        return (await _store.TryTakeAsync(Stream, ShardId, lease.Counter, worker, _clock.GetUtcNow().AddSeconds(10), CancellationToken.None))!.Value;
    }
}
