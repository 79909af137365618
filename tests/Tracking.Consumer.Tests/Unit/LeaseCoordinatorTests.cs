using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Tests.Support;
using Tracking.Events;
using Tracking.Testing;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>The lease coordinator's two clocks against a scripted stream and an in-memory lease table, on a fake clock.</summary>
public sealed class LeaseCoordinatorTests
{
    private const string Stream = "events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero));
    private readonly LeaseOptions _leaseOptions = new() { Duration = TimeSpan.FromSeconds(3), ShardListInterval = TimeSpan.FromSeconds(1) };
    private readonly RecordingLogger<LeaseCoordinator> _logs = new();

    public LeaseCoordinatorTests()
    {
        Health = new ShardHealth(Options.Create(new ShardHealthOptions()), _clock);
    }

    private ShardHealth Health { get; }

    [Fact]
    public async Task RenewalsGoOnAtTheirRateWhileListShardsHangs()
    {
        var kinesis = new ScriptedStream("shardId-000000000000", "shardId-000000000001");
        var store = new InMemoryLeaseStore();
        await using var coordinator = await StartAsync(kinesis, store);
        await Eventually.TrueAsync(() => store["shardId-000000000001"]?.Owner is not null, "both leases are taken", Patience);

        kinesis.HangListing();
        var listings = kinesis.Listings;
        await AdvanceUntilAsync(() => kinesis.Listings > listings, "a listing starts and hangs");

        // Two shards, each renewed at every beat: ten beats are twenty renewals if nothing waits on the listing.
        var renewals = store.Renewals;
        for (var beat = 1; beat <= 10; beat++)
        {
            _clock.Advance(_leaseOptions.RenewInterval);
            var expected = renewals + (2 * beat);
            await Eventually.TrueAsync(
                () => store.Renewals >= expected,
                $"{expected - renewals} renewals after {beat} beats while ListShards hangs",
                Patience,
                () => $"got {store.Renewals - renewals}");
        }

        Assert.All(new[] { "shardId-000000000000", "shardId-000000000001" }, id => Assert.True(store[id]!.ExpiresAt > _clock.GetUtcNow()));
        kinesis.ReleaseListing();
    }

    [Fact]
    public async Task AShardThatKeepsFailingIsRetriedWithBackOffLoggedOnceWithItsStackAndReportedUntilItWorksAgain()
    {
        const string ShardId = "shardId-000000000000";
        var kinesis = new ScriptedStream(ShardId) { ReadFailure = () => new InvalidOperationException("the shard cannot be read") };
        var store = new InMemoryLeaseStore();
        await using var coordinator = await StartAsync(kinesis, store);
        await Eventually.TrueAsync(() => kinesis.Reads >= 1, "the shard is read a first time", Patience);

        // Five minutes on the fake clock, a beat at a time; each beat gives the loops a moment to settle: the shard
        // backing off, or held and renewed.
        var beats = (int)(TimeSpan.FromMinutes(5) / _leaseOptions.RenewInterval);
        for (var beat = 0; beat < beats; beat++)
        {
            var renewals = store.Renewals;
            _clock.Advance(_leaseOptions.RenewInterval);
            await SettleAsync(() => Health.InBackoff(ShardId, _clock.GetUtcNow()) || (store[ShardId]!.Owner is not null && store.Renewals > renewals));
        }

        // Back-off doubling from 1 s to 30 s: about fifteen attempts in five minutes, not one per round.
        Assert.InRange(kinesis.Reads, 5, 30);
        var failures = _logs.Entries.Where(e => e.Message.Contains(ShardId, StringComparison.Ordinal) && e.Message.Contains("fail", StringComparison.Ordinal)).ToList();
        Assert.Single(failures, e => e.Exception is not null);
        Assert.InRange(failures.Count(e => e.Level >= LogLevel.Warning), 2, 7);
        Assert.Contains(failures, e => e.Level >= LogLevel.Warning && e.Message.Contains("the shard cannot be read", StringComparison.Ordinal));
        var stuck = Assert.Single(Health.Stuck());
        Assert.Equal((ShardId, StuckShard.Failing, true), (stuck.ShardId, stuck.State, stuck.Unready));
        Assert.Contains("the shard cannot be read", stuck.Reason, StringComparison.Ordinal);

        kinesis.ReadFailure = null;
        await AdvanceUntilAsync(() => Health.Stuck().Count == 0, "the shard is read again, at the tip");
    }

    private async Task<RunningCoordinator> StartAsync(ScriptedStream kinesis, InMemoryLeaseStore store)
    {
        var streamOptions = Options.Create(new StreamOptions { StreamName = Stream });
        var metrics = TestMetrics.Create();
        var processor = new ShardProcessor(kinesis, new CommittingLoader(), streamOptions, Options.Create(new BatchingOptions()), metrics, Health, _clock, NullLogger<ShardProcessor>.Instance);
        var coordinator = new LeaseCoordinator(
            store,
            new ShardDiscovery(kinesis, store, streamOptions, _clock, NullLogger<ShardDiscovery>.Instance),
            processor,
            Options.Create(_leaseOptions),
            Options.Create(new WorkerOptions { WorkerId = "worker-a" }),
            streamOptions,
            metrics,
            Health,
            _clock,
            _logs);
        await coordinator.StartAsync(CancellationToken.None);
        return new RunningCoordinator(coordinator);
    }

    /// <summary>Moves the fake clock a beat at a time until <paramref name="condition"/> holds.</summary>
    private Task AdvanceUntilAsync(Func<bool> condition, string what) =>
        Eventually.TrueAsync(
            () =>
            {
                if (condition())
                {
                    return true;
                }

                _clock.Advance(_leaseOptions.RenewInterval);
                return false;
            },
            what,
            Patience);

    /// <summary>Polls <paramref name="settled"/> for a short while; the next beat moves on either way.</summary>
    private static async Task SettleAsync(Func<bool> settled)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(500);
        while (!settled() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
    }

    private sealed class RunningCoordinator(LeaseCoordinator coordinator) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await coordinator.StopAsync(CancellationToken.None).WaitAsync(Patience);
            coordinator.Dispose();
        }
    }

    private sealed class CommittingLoader : IWarehouseLoader
    {
        public Task<LoadResult> LoadAsync(LoadBatch batch, CancellationToken cancellationToken) =>
            Task.FromResult(new LoadResult(LoadOutcome.Committed, batch.Rows.Count, 0));
    }
}
