using System.Diagnostics;
using System.Text.RegularExpressions;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;
using Xunit.Abstractions;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>Consumer processes killed with SIGKILL, paused with SIGSTOP, sharing shards: each event still lands once.</summary>
[Collection(Infrastructure.Name)]
public sealed partial class FailoverTests(PostgresServer postgres, KinesaliteFixture kinesalite, ITestOutputHelper output)
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task EveryEventIsLoadedExactlyOnceThoughTheConsumerIsKilledFiveTimesWhileLoading()
    {
        const int Users = 200;
        const int PerUser = 100;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 4);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("kill"));
        var events = TestEvent.Many(Users, PerUser).ToList();
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a", LeaseDuration);

        // Smaller loads: more transactions for a kill to land in.
        settings["Consumer:Batching:MaxRows"] = "1000";
        var producing = stream.PutEventsAsync(events);
        var consumer = ConsumerProcess.Start(settings);
        var loaded = 0L;
        try
        {
            for (var kill = 1; kill <= 5; kill++)
            {
                // Random moments while rows are flowing: each kill waits for a random share of the events, and for
                // the restarted consumer to have committed something.
                var threshold = Math.Min(Math.Max((kill * events.Count / 7) + random.Next(events.Count / 14), loaded + 1), events.Count);
                await warehouse.WaitForEventCountAsync(threshold, Patience, consumer);
                await consumer.KillAsync();
                loaded = await warehouse.EventCountAsync();
                output.WriteLine($"kill {kill} at {loaded} rows");
                await consumer.DisposeAsync();
                consumer = ConsumerProcess.Start(settings);
            }

            await producing;
            await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);

            var loadedIds = await warehouse.MessageIdsAsync();
            Assert.True(events.Count == loadedIds.Count, $"{events.Count - loadedIds.Count} of {events.Count} events lost");
            Assert.Equal(events.Count, await warehouse.EventCountAsync());
            Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), loadedIds);
            Assert.Equal(0, await warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        }
        finally
        {
            await consumer.DisposeAsync();
        }
    }

    [Fact]
    public async Task TwoWorkersShareFourShardsAndTheSurvivorTakesAllWithinAboutALeaseWhenOneIsKilled()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 4);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("share"));
        var events = TestEvent.Many(users: 100, perUser: 100).ToList();
        var first = events.Take(events.Count / 2).ToList();
        await stream.PutEventsAsync(first);
        await using var a = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a", LeaseDuration));
        await using var b = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-b", LeaseDuration));

        Dictionary<string, string?> owners = [];
        await Eventually.TrueAsync(
            async () => (owners = await warehouse.OwnersAsync()).Values.Count(o => o == "worker-a") == 2 && owners.Values.Count(o => o == "worker-b") == 2,
            "worker-a and worker-b hold two leases each",
            Patience,
            () => $"owners {string.Join(", ", owners)}{Environment.NewLine}A:{Environment.NewLine}{a.Output}{Environment.NewLine}B:{Environment.NewLine}{b.Output}");
        var producing = stream.PutEventsAsync(events.Skip(first.Count).ToList());
        await a.KillAsync();
        var failover = Stopwatch.StartNew();
        await Eventually.TrueAsync(
            async () => (owners = await warehouse.OwnersAsync()).Values.All(o => o == "worker-b"),
            "worker-b holds every lease",
            Patience,
            () => $"owners {string.Join(", ", owners)}{Environment.NewLine}{b.Output}");
        failover.Stop();
        output.WriteLine($"worker-b held all four shards {failover.Elapsed.TotalSeconds:F1} s after worker-a was killed (lease {LeaseDuration.TotalSeconds} s)");

        // A lease expires at most one duration after its last renewal; the survivor looks every third of one.
        Assert.True(failover.Elapsed < LeaseDuration * 2, $"took {failover.Elapsed}");
        await producing;
        await warehouse.WaitForEventCountAsync(events.Count, Patience, b);
        Assert.Equal(events.Count, await warehouse.EventCountAsync());
        Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
    }

    [Fact]
    public async Task AWorkerStoppedGracefullyReleasesItsLeasesSoTheOtherTakesThemWithoutWaitingForExpiry()
    {
        // Long enough that a leases' expiry is far beyond the start of a new consumer process on loaded cores.
        var longLease = TimeSpan.FromSeconds(60);
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 4);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("graceful"));
        var events = TestEvent.Many(users: 50, perUser: 20).ToList();
        await stream.PutEventsAsync(events);
        await using var a = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a", longLease));
        await Eventually.TrueAsync(
            async () => (await warehouse.OwnersAsync()).Values.Count(o => o == "worker-a") == 4,
            "worker-a holds all four leases",
            Patience,
            () => a.Output);

        // The earliest moment a's leases could have expired had it not released them (renewals only move it later).
        var earliestExpiry = await warehouse.ScalarAsync<DateTime>("SELECT min(expires_at) FROM shard_leases WHERE NOT finished");
        await a.SignalAsync("TERM");
        await a.WaitForExitAsync(Patience);
        var handover = Stopwatch.StartNew();
        await using var b = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-b", longLease));
        Dictionary<string, string?> owners = [];
        await Eventually.TrueAsync(
            async () => (owners = await warehouse.OwnersAsync()).Values.All(o => o == "worker-b"),
            "worker-b holds every lease",
            Patience,
            () => $"owners {string.Join(", ", owners)}{Environment.NewLine}{b.Output}");
        var takenBy = await warehouse.ScalarAsync<DateTime>("SELECT now()");

        Assert.Equal(0, a.ExitCode);
        Assert.Equal(4, a.Lines.Count(l => l.Contains("released", StringComparison.Ordinal)));
        // Judged against the leases' own expiry, not a share of it: starting worker-b's process alone can take many
        // seconds on shared, loaded cores, and a fixed share of the lease failed on that rather than on the release.
        Assert.True(takenBy < earliestExpiry, $"worker-b held the shards at {takenBy:O}, {handover.Elapsed} after worker-a stopped, not before worker-a's leases expired at {earliestExpiry:O}: they were not released");
        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, b);
        Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
    }

    [Fact]
    public async Task AWorkerPausedPastItsLeaseCommitsNothingAfterAnotherTookItsShard()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("pause"));
        var events = TestEvent.Many(users: 10, perUser: 10).ToList();
        var paused = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a", LeaseDuration);

        // A long linger keeps what worker-a reads in its buffer, uncommitted, when it is paused.
        paused["Consumer:Batching:Linger"] = "00:01:00";
        await using var a = ConsumerProcess.Start(paused);
        await a.WaitForOutputAsync(ReadingLine(), Patience);
        await stream.PutEventsAsync(events);
        await a.WaitForOutputAsync(ReadLine(), Patience);
        await a.SignalAsync("STOP");
        string checkpoint;
        try
        {
            await using var b = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-b", LeaseDuration));
            await warehouse.WaitForEventCountAsync(events.Count, Patience, b);
            Assert.Equal("worker-b", (await warehouse.OwnersAsync()).Values.Single());
            checkpoint = await warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_leases");
        }
        finally
        {
            await a.SignalAsync("CONT");
        }

        // Woken up, worker-a still holds a batch and tries to load it: the fence must refuse it.
        var attempt = await a.WaitForOutputAsync(LoadAttemptLine(), Patience);
        Assert.True(attempt.Value.Contains("rolled back", StringComparison.Ordinal), $"worker-a committed after losing its lease:{Environment.NewLine}{a.Output}");
        Assert.DoesNotContain(a.Lines, l => l.Contains(": committed", StringComparison.Ordinal));
        Assert.Equal(events.Count, await warehouse.EventCountAsync());
        Assert.Equal(checkpoint, await warehouse.ScalarAsync<string>("SELECT checkpoint FROM shard_leases"));
    }

    [GeneratedRegex(@"reading TrimHorizon")]
    private static partial Regex ReadingLine();

    [GeneratedRegex(@"read \d+ records")]
    private static partial Regex ReadLine();

    [GeneratedRegex(@"lost; the load of \d+ records was rolled back|: committed \d+ rows")]
    private static partial Regex LoadAttemptLine();
}
