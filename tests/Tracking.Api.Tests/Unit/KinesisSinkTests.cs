using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Api.Telemetry;
using Tracking.Api.Tests.Integration;
using Tracking.Api.Tests.Support;
using Tracking.Aws.Kinesis;
using Tracking.Testing;
using Tracking.Testing.Time;

namespace Tracking.Api.Tests.Unit;

/// <summary>The Kinesis sink against a fake client and a fake clock: ordering, retries, adaptation, resharding.</summary>
public sealed class KinesisSinkTests : IAsyncDisposable
{
    private const string Throttled = "ProvisionedThroughputExceededException";

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeKinesis _kinesis = new();
    private readonly DeliveryHealth _status = new();
    private readonly ApiMetrics _metrics;
    private FakeClock _clock = new(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));
    private KinesisSink? _sink;

    public KinesisSinkTests()
    {
        _metrics = new ApiMetrics(_services);
    }

    private KinesisSink Sink => _sink ??= new KinesisSink(
        _kinesis,
        Options.Create(new KinesisSinkOptions { StreamName = "events" }),
        Options.Create(new BatchingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(1) }),
        _status,
        new TrackingMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new EventQueue(Options.Create(new QueueOptions()), TimeProvider.System)),
        _clock,
        NullLogger<KinesisSink>.Instance);

    public async ValueTask DisposeAsync()
    {
        if (_sink is not null)
        {
            await _sink.DisposeAsync();
        }

        _metrics.Dispose();
        await _services.DisposeAsync();
    }

    private static List<EnrichedEvent> Events(string prefix, int count, Func<int, string>? key = null) =>
        [.. Enumerable.Range(0, count).Select(i => new EnrichedEvent(Encoding.UTF8.GetBytes($"{{\"id\":\"{prefix}{i}\"}}"), $"{prefix}{i}", key?.Invoke(i) ?? "k"))];

    private static string[] Ids(PutRecordsRequest request) => [.. request.Records.Select(r => Encoding.UTF8.GetString(r.Data.Span)[7..^2])];

    [Fact]
    public async Task RecordsAPutRefusedAreResentAloneAndBeforeTheShardsLaterRecords()
    {
        _clock = new FakeClock(_clock.GetUtcNow()) { AutoAdvance = true };
        var release = new TaskCompletionSource();
        _kinesis.Put = async (request, call) =>
        {
            if (call == 0)
            {
                await release.Task;
                return FakeKinesis.Answer(request, i => i >= 2 ? Throttled : null);
            }

            return FakeKinesis.Answer(request);
        };

        var first = Sink.DeliverAsync(Events("a", 5), CancellationToken.None);
        await Eventually.TrueAsync(() => _kinesis.Calls.Count == 1, "the first put is under way");
        var second = Sink.DeliverAsync(Events("b", 3), CancellationToken.None);
        release.SetResult();

        Assert.Equal(DeliveryResult.Delivered, await first);
        Assert.Equal(DeliveryResult.Delivered, await second);
        var calls = _kinesis.Calls.ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal(["a0", "a1", "a2", "a3", "a4"], Ids(calls[0]));
        Assert.Equal(["a2", "a3", "a4", "b0", "b1", "b2"], Ids(calls[1]));
        // Under a loaded full run the listener has been seen to report these late: wait for them rather than read once.
        await Eventually.TrueAsync(
            () => _metrics.Sum("tracking.delivery.failed") == 3 && _metrics.Sum("tracking.delivery.recovered") == 3 && _metrics.Sum("tracking.sink.throttled") == 3,
            "failed, recovered and throttled are each counted 3 times",
            TimeSpan.FromSeconds(10),
            () => $"now {_metrics.Sum("tracking.delivery.failed")}, {_metrics.Sum("tracking.delivery.recovered")}, {_metrics.Sum("tracking.sink.throttled")}");
        Assert.Contains(_clock.ScheduledDelays, d => d >= TimeSpan.FromMilliseconds(50));
        Assert.Null(_status.LastError);
    }

    [Fact]
    public async Task AShardThatKeepsThrottlingIsSentLessAndLessOftenThenCatchesUpWhenItStops()
    {
        _clock = new FakeClock(_clock.GetUtcNow()) { AutoAdvance = true };
        var at = new ConcurrentQueue<DateTimeOffset>();
        _kinesis.Put = (request, call) =>
        {
            at.Enqueue(_clock.GetUtcNow());
            return Task.FromResult(FakeKinesis.Answer(request, _ => call < 6 ? Throttled : null));
        };

        await Sink.DeliverAsync(Events("e", 200, i => $"user-{i % 7}"), CancellationToken.None);

        // Each refusal halved the rate: the puts shrank to a second's worth of it and were never closer than the backoff.
        var times = at.ToList();
        var sizes = _kinesis.Calls.Select(c => c.Records.Count).ToList();
        Assert.All(times.Zip(times.Skip(1), (a, b) => b - a).Take(6), gap => Assert.True(gap >= TimeSpan.FromMilliseconds(50), $"a throttled put was followed {gap.TotalMilliseconds} ms later"));
        Assert.Equal([200, 200, 200, 125, 62, 31], sizes.Take(6));
        Assert.True(times[6] - times[0] >= TimeSpan.FromSeconds(4), $"six throttled puts took {(times[6] - times[0]).TotalSeconds} s");
        Assert.True(times.Count <= 6 + 10, $"{times.Count} puts");

        // After six halvings the rate was 1,000/64; the records then went in well-filled puts, in order.
        var written = _kinesis.Calls.Skip(6).SelectMany(Ids).ToList();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"e{i}"), written);
        Assert.Equal(sizes.Take(6).Sum(), _metrics.Sum("tracking.sink.throttled"));
        Assert.Equal(200, _metrics.Sum("tracking.delivery.recovered"));
    }

    [Fact]
    public async Task SeveralShardsAreWrittenAtOnceWithOnePutInFlightPerShard()
    {
        var map = ShardMap.FromOpenShards(KinesisShardMapTests.EqualShards(4));
        Sink.UseShards(map);
        var release = new TaskCompletionSource();
        var inFlight = new int[4];
        var mostPerShard = 0;
        _kinesis.Put = async (request, _) =>
        {
            var shards = request.Records.Select(r => map.IndexOf(r.PartitionKey)).Distinct().ToList();
            var shard = Assert.Single(shards);
            mostPerShard = Math.Max(mostPerShard, Interlocked.Increment(ref inFlight[shard]));
            await release.Task;
            Interlocked.Decrement(ref inFlight[shard]);
            return FakeKinesis.Answer(request, shardId: map.ShardIds[shard]!);
        };

        var first = Sink.DeliverAsync(Events("a", 400, i => $"user-{i % 100}"), CancellationToken.None);
        await Eventually.TrueAsync(() => _kinesis.InFlight == 4, "each shard has a put under way");
        var second = Sink.DeliverAsync(Events("b", 400, i => $"user-{i % 100}"), CancellationToken.None);
        Assert.Equal(4, _kinesis.Calls.Count);
        release.SetResult();

        await Task.WhenAll(first, second);
        Assert.Equal(1, mostPerShard);
        Assert.Equal(4, _kinesis.MostInFlight);
        var order = _kinesis.Calls.SelectMany(Ids).ToList();
        for (var user = 0; user < 100; user++)
        {
            var theirs = order.Where(id => int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) % 100 == user).ToList();
            Assert.Equal(theirs.Where(id => id[0] == 'a').Concat(theirs.Where(id => id[0] == 'b')), theirs);
        }
    }

    [Fact]
    public async Task WhileTheStreamIsUnreachableBatchesWaitAndReadinessSaysWhyThenTheyCompleteWhenItAnswers()
    {
        var down = true;
        _kinesis.Put = (request, _) => Volatile.Read(ref down)
            ? throw new HttpRequestException("Connection refused (127.0.0.1:4567)", new SocketException((int)SocketError.ConnectionRefused))
            : Task.FromResult(FakeKinesis.Answer(request));

        var delivery = Sink.DeliverAsync(Events("e", 10), CancellationToken.None);

        await Eventually.TrueAsync(() => _status.LastError is not null && _clock.PendingTimerCount > 0, "the failure is reported and a retry is scheduled");
        Assert.Contains("10 of 10 records for the stream not written: the endpoint http://127.0.0.1:1/ is unreachable (ConnectionRefused", _status.LastError, StringComparison.Ordinal);
        Assert.False(delivery.IsCompleted);

        Volatile.Write(ref down, false);
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(DeliveryResult.Delivered, await delivery);
        Assert.Null(_status.LastError);
    }

    [Fact]
    public async Task ANewShardListIsUsedOnlyOnceTheRecordsQueuedUnderTheOldOneAreWritten()
    {
        var release = new TaskCompletionSource();
        _kinesis.Put = async (request, call) =>
        {
            if (call == 0)
            {
                await release.Task;
            }

            return FakeKinesis.Answer(request);
        };
        var first = Sink.DeliverAsync(Events("a", 20, i => $"user-{i}"), CancellationToken.None);
        await Eventually.TrueAsync(() => _kinesis.Calls.Count == 1, "the first put is under way");

        var map = ShardMap.FromOpenShards(KinesisShardMapTests.EqualShards(4));
        Sink.UseShards(map);
        var second = Sink.DeliverAsync(Events("b", 20, i => $"user-{i}"), CancellationToken.None);

        // Routing b to the new shards now could put a user's b before its a: they wait.
        Assert.Same(ShardMap.Unknown, Sink.Map);
        Assert.Single(_kinesis.Calls);
        release.SetResult();

        await Task.WhenAll(first, second);
        Assert.Same(map, Sink.Map);
        var calls = _kinesis.Calls.ToList();
        Assert.Equal(20, calls[0].Records.Count);
        Assert.All(calls.Skip(1), call => Assert.Single(call.Records.Select(r => map.IndexOf(r.PartitionKey)).Distinct()));
        Assert.Equal(20, calls.Skip(1).Sum(c => c.Records.Count));
    }

    [Fact]
    public async Task APutThatLandsOnAnotherShardThanTheMapSaysAsksForTheShardListAgain()
    {
        Sink.UseShards(ShardMap.FromOpenShards(KinesisShardMapTests.EqualShards(2)));
        _kinesis.Put = (request, _) => Task.FromResult(FakeKinesis.Answer(request, shardId: "shardId-000000000007"));

        await Sink.DeliverAsync(Events("e", 3), CancellationToken.None);

        Assert.True(Sink.RefreshRequested.IsCompleted);
    }

    [Fact]
    public async Task StoppingTheSinkFailsTheBatchesStillWaiting()
    {
        _kinesis.Put = async (_, _) =>
        {
            await Task.Delay(Timeout.Infinite, Sink.Stopping);
            throw new InvalidOperationException("unreachable");
        };
        var delivery = Sink.DeliverAsync(Events("e", 3), CancellationToken.None);
        await Eventually.TrueAsync(() => _kinesis.Calls.Count == 1, "the put is under way");

        await Sink.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => delivery);
    }

    [Fact]
    public async Task TheMonitorListsTheShardsAtStartAndAgainWhenTheSinkAsks()
    {
        _kinesis.Shards = KinesisShardMapTests.EqualShards(2);
        using var monitor = new KinesisStreamMonitor(_kinesis, Sink, _status, Options.Create(new KinesisSinkOptions { StreamName = "events" }), Options.Create(new BatchingOptions()), _clock, NullLogger<KinesisStreamMonitor>.Instance);

        await monitor.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => Sink.Map.Count == 2, "the shards are listed at start");

        _kinesis.Shards = KinesisShardMapTests.EqualShards(3);
        Sink.RequestRefresh();
        await Eventually.TrueAsync(() => _clock.PendingTimerCount > 0, "the monitor waits out its minimum spacing");
        _clock.Advance(KinesisStreamMonitor.MinimumSpacing);
        await Eventually.TrueAsync(() => Sink.Map.Count == 3, "the new shards are listed on request");
        Assert.Null(_status.LastError);

        await monitor.StopAsync(CancellationToken.None);
    }
}
