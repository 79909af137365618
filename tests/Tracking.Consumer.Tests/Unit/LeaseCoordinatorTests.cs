using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Tests.Support;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>The lease coordinator's two clocks against a scripted stream and an in-memory lease table, on a fake clock.</summary>
public sealed class LeaseCoordinatorTests
{
    private const string Stream = "events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero));
    private readonly LeaseOptions _leaseOptions = new() { Duration = TimeSpan.FromSeconds(3), ShardListInterval = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task RenewalsGoOnAtTheirRateWhileListShardsHangs()
    {
        var kinesis = new ScriptedStream("shardId-000000000000", "shardId-000000000001");
        var store = new InMemoryLeaseStore();
        await using var coordinator = await StartAsync(kinesis, store);
        await WaitUntilAsync(() => store["shardId-000000000001"]?.Owner is not null, "both leases taken");

        kinesis.HangListing();
        var listings = kinesis.Listings;
        await AdvanceUntilAsync(() => kinesis.Listings > listings, "a listing that hangs");

        // Two shards, each renewed at every beat: ten beats are twenty renewals if nothing waits on the listing.
        var renewals = store.Renewals;
        for (var beat = 1; beat <= 10; beat++)
        {
            _clock.Advance(_leaseOptions.RenewInterval);
            var expected = renewals + (2 * beat);
            await WaitUntilAsync(() => store.Renewals >= expected, $"{expected - renewals} renewals after {beat} beats while ListShards hangs (got {store.Renewals - renewals})");
        }

        Assert.All(new[] { "shardId-000000000000", "shardId-000000000001" }, id => Assert.True(store[id]!.ExpiresAt > _clock.GetUtcNow()));
        kinesis.ReleaseListing();
    }

    private async Task<RunningCoordinator> StartAsync(ScriptedStream kinesis, InMemoryLeaseStore store)
    {
        var streamOptions = Options.Create(new StreamOptions { StreamName = Stream });
        var metrics = TestMetrics.Create();
        var processor = new ShardProcessor(kinesis, new CommittingLoader(), streamOptions, Options.Create(new BatchingOptions()), metrics, _clock, NullLogger<ShardProcessor>.Instance);
        var coordinator = new LeaseCoordinator(
            store,
            new ShardDiscovery(kinesis, store, streamOptions, _clock),
            processor,
            Options.Create(_leaseOptions),
            Options.Create(new WorkerOptions { WorkerId = "worker-a" }),
            streamOptions,
            metrics,
            _clock,
            NullLogger<LeaseCoordinator>.Instance);
        await coordinator.StartAsync(CancellationToken.None);
        return new RunningCoordinator(coordinator);
    }

    /// <summary>Moves the fake clock a beat at a time until <paramref name="condition"/> holds.</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not reached: {what}");
            _clock.Advance(_leaseOptions.RenewInterval);
            await Task.Delay(10);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not reached within {Patience}: {what}");
            await Task.Delay(10);
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
