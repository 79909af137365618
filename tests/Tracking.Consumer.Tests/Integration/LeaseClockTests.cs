using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>Leases renewed on their own clock: a load that cannot finish and a locked lease row delay no lease statement.</summary>
[Collection(Infrastructure.Name)]
public sealed class LeaseClockTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task ALoadHeldOpenInTheDatabaseDoesNotStopTheWorkersRenewals()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("heldload"));
        var events = TestEvent.Many(users: 20, perUser: 5).ToList();
        await using var consumer = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a", LeaseDuration));
        await Eventually.TrueAsync(
            async () => (await warehouse.OwnersAsync()).Values.Count(o => o == "worker-a") == 2,
            "worker-a holds both leases",
            Patience,
            () => consumer.Output);

        // Inserts into events wait behind this lock, so every load stays open inside its transaction.
        await using var blocker = new NpgsqlConnection(warehouse.ConnectionString);
        await blocker.OpenAsync();
        await using var held = await blocker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE events IN EXCLUSIVE MODE", blocker, held))
        {
            await command.ExecuteNonQueryAsync();
        }

        await stream.PutEventsAsync(events);
        await Eventually.TrueAsync(
            async () => await warehouse.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO events%'") > 0,
            "a load's insert waits behind the lock on events",
            Patience,
            () => consumer.Output);
        var loadsWaitingSince = await warehouse.ScalarAsync<DateTime>("SELECT now()");

        // Renewed after the loads began waiting: each lease expires a full duration after a renewal made since.
        var leases = string.Empty;
        await Eventually.TrueAsync(
            async () =>
            {
                leases = string.Join("; ", (await warehouse.RowsAsync("SELECT shard_id, owner, expires_at FROM shard_leases")).Select(r => string.Join(", ", r)));
                return await warehouse.ScalarAsync<DateTime>("SELECT min(expires_at) FROM shard_leases WHERE NOT finished") > loadsWaitingSince + LeaseDuration + LeaseDuration;
            },
            $"every lease is renewed to expire two lease durations after the loads began waiting ({loadsWaitingSince:O})",
            TimeSpan.FromSeconds(30),
            () => $"leases {leases}{Environment.NewLine}{consumer.Output}");
        Assert.Equal(0L, await warehouse.EventCountAsync());

        await held.CommitAsync();
        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);
        Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
        Assert.DoesNotContain(consumer.Lines, l => l.Contains("lost to another worker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALeaseStatementOnARowLockedByACommitInProgressGivesUpInsteadOfWaiting()
    {
        const string Stream = "events";
        const string ShardId = "shardId-000000000000";
        var connectionString = await postgres.CreateDatabaseAsync("leaselock");
        await using (var warehouse = NpgsqlDataSource.Create(connectionString))
        {
            await new PostgresSchema(warehouse, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);
        }

        await using var leases = NpgsqlDataSource.Create(LeaseConnections.ForLeaseStatements(connectionString, TimeSpan.FromSeconds(1)));
        var store = new PostgresLeaseStore(leases);
        await store.AddShardsAsync(Stream, [new NewShard(ShardId, [], "TRIM_HORIZON")], CancellationToken.None);
        var fence = (await store.TryTakeAsync(Stream, ShardId, 0, "worker-a:1", DateTimeOffset.UtcNow.AddSeconds(10), CancellationToken.None))!.Value;

        // A worker frozen between its fenced checkpoint update and its commit.
        await using var frozen = new NpgsqlConnection(connectionString);
        await frozen.OpenAsync();
        await using var load = await frozen.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("UPDATE shard_leases SET checkpoint = '1' WHERE shard_id = $1", frozen, load))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ShardId });
            await command.ExecuteNonQueryAsync();
        }

        var take = await Assert.ThrowsAsync<PostgresException>(() => store.TryTakeAsync(Stream, ShardId, fence.Counter, "worker-b:2", DateTimeOffset.UtcNow.AddSeconds(10), CancellationToken.None).WaitAsync(Patience));
        var renew = await Assert.ThrowsAsync<PostgresException>(() => store.RenewAsync(fence, DateTimeOffset.UtcNow.AddSeconds(10), CancellationToken.None).WaitAsync(Patience));

        Assert.Equal(PostgresErrorCodes.LockNotAvailable, take.SqlState);
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, renew.SqlState);
        await load.RollbackAsync();
        Assert.True(await store.RenewAsync(fence, DateTimeOffset.UtcNow.AddSeconds(10), CancellationToken.None));
    }
}
