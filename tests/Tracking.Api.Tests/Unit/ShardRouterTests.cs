using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Api.Telemetry;
using Tracking.Api.Tests.Support;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Testing;
using Tracking.Testing.Time;

namespace Tracking.Api.Tests.Unit;

/// <summary>The router of the Kinesis sink on its own, against a fake client and a fake clock: map switches, idle lanes, failing lanes.</summary>
public sealed class ShardRouterTests : IAsyncDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeKinesis _kinesis = new();
    private readonly DeliveryHealth _status = new();
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));
    private readonly ShardRouter _router;

    public ShardRouterTests()
    {
        var options = new KinesisSinkOptions { StreamName = "events" };
        var metrics = new TrackingMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new EventQueue(Options.Create(new QueueOptions()), TimeProvider.System));
        var writer = new ShardWriter(_kinesis, "events", _kinesis.Endpoint, _status, metrics, _clock, new ShardRefreshSignal(), NullLogger.Instance);
        var retries = new BatchingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(1) }.Retries();
        _router = new ShardRouter(writer, options, retries, _clock, NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await _router.DisposeAsync();
        await _services.DisposeAsync();
    }

    private static (List<PendingRecord> Records, PendingBatch Batch) Batch(string prefix, int count, Func<int, string> key)
    {
        var batch = new PendingBatch(count);
        return ([.. Enumerable.Range(0, count).Select(i => new PendingRecord(new EnrichedEvent(Encoding.UTF8.GetBytes($"{{\"id\":\"{prefix}{i}\"}}"), $"{prefix}{i}", key(i)), batch))], batch);
    }

    /// <summary>Fails the test, rather than hanging it, when <paramref name="task"/> does not finish.</summary>
    private static Task Done(Task task) => task.WaitAsync(Eventually.DefaultTimeout);

    private static string[] Ids(PutRecordsRequest request) => [.. request.Records.Select(r => Encoding.UTF8.GetString(r.Data.Span)[7..^2])];

    private static ShardMap Shards(int count) => ShardMap.FromOpenShards(KinesisShardMapTests.EqualShards(count));

    /// <summary>A partition key that <paramref name="map"/> routes to shard <paramref name="index"/>.</summary>
    private static string KeyOn(ShardMap map, int index) =>
        Enumerable.Range(0, 10_000).Select(i => $"user-{i}").First(key => map.IndexOf(key) == index);

    [Fact]
    public async Task BatchesRoutedDuringAMapSwitchAreHeldThenSentByTheNewMapInTheOrderTheyCame()
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
        var a = Batch("a", 20, i => $"user-{i}");
        Assert.True(_router.TryRoute(a.Records));
        await Eventually.TrueAsync(() => _kinesis.Calls.Count == 1, "the first put is under way");

        var map = Shards(4);
        _router.UseShards(map);
        var b = Batch("b", 20, i => $"user-{i}");
        var c = Batch("c", 20, i => $"user-{i}");
        Assert.True(_router.TryRoute(b.Records));
        Assert.True(_router.TryRoute(c.Records));

        // The old lane still has a's records in flight: b and c wait, unsent, and the old map stays.
        Assert.Same(ShardMap.Unknown, _router.Map);
        Assert.Single(_kinesis.Calls);
        Assert.False(b.Batch.Completion.IsCompleted || c.Batch.Completion.IsCompleted);

        release.SetResult();
        await Done(Task.WhenAll(a.Batch.Completion, b.Batch.Completion, c.Batch.Completion));

        Assert.Same(map, _router.Map);
        Assert.Equal(map.ShardIds, _router.Lanes.Select(l => l.ShardId));
        var calls = _kinesis.Calls.ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"a{i}"), Ids(calls[0]));
        Assert.All(calls.Skip(1), call => Assert.Single(call.Records.Select(r => map.IndexOf(r.PartitionKey)).Distinct()));
        var later = calls.Skip(1).SelectMany(Ids).ToList();
        Assert.Equal(40, later.Count);
        for (var user = 0; user < 20; user++)
        {
            Assert.Equal([$"b{user}", $"c{user}"], later.Where(id => id[1..] == $"{user}"));
        }
    }

    [Fact]
    public async Task OnlyTheLastShardListGivenDuringASwitchIsInstalled()
    {
        var release = new TaskCompletionSource();
        _kinesis.Put = async (request, _) =>
        {
            await release.Task;
            return FakeKinesis.Answer(request);
        };
        var a = Batch("a", 5, i => $"user-{i}");
        _router.TryRoute(a.Records);
        await Eventually.TrueAsync(() => _kinesis.Calls.Count == 1, "the first put is under way");

        var three = Shards(3);
        _router.UseShards(Shards(4));
        _router.UseShards(three);
        release.SetResult();
        await Done(a.Batch.Completion);

        await Eventually.TrueAsync(() => _router.Map == three, "the shard list given last takes over");
        Assert.Equal(3, _router.Lanes.Count);
    }

    [Fact]
    public void WhenEveryLaneIsIdleANewShardListTakesOverAtOnce()
    {
        var two = Shards(2);
        _router.UseShards(two);
        Assert.Same(two, _router.Map);

        var three = Shards(3);
        _router.UseShards(three);

        Assert.Same(three, _router.Map);
        Assert.All(_router.Lanes, lane => Assert.False(lane.IsBusy));
        Assert.Empty(_kinesis.Calls);
    }

    [Fact]
    public async Task ALaneThatFinishedItsRecordsDoesNotHoldUpASwitchButABusyOneDoes()
    {
        var two = Shards(2);
        _router.UseShards(two);
        var release = new TaskCompletionSource();
        _kinesis.Put = async (request, _) =>
        {
            if (two.IndexOf(request.Records[0].PartitionKey) == 1)
            {
                await release.Task;
            }

            return FakeKinesis.Answer(request);
        };
        var idle = Batch("i", 3, _ => KeyOn(two, 0));
        var busy = Batch("b", 3, _ => KeyOn(two, 1));
        _router.TryRoute(idle.Records);
        _router.TryRoute(busy.Records);
        await Done(idle.Batch.Completion);
        await Eventually.TrueAsync(() => !_router.Lanes[0].IsBusy, "the first shard's lane goes idle once its records are written");

        var three = Shards(3);
        _router.UseShards(three);
        Assert.Same(two, _router.Map);
        Assert.True(_router.Lanes[1].IsBusy);

        release.SetResult();
        await Done(busy.Batch.Completion);
        await Eventually.TrueAsync(() => _router.Map == three, "the new shards take over once the busy lane goes idle");
    }

    [Fact]
    public void ALaneWhoseShardStaysOpenKeepsItsSendRateAcrossASwitch()
    {
        _router.UseShards(Shards(2));
        var before = _router.Lanes.ToDictionary(l => l.ShardId!, l => l.Rate);

        var shards = KinesisShardMapTests.EqualShards(2);
        shards[1] = new Shard { ShardId = "shardId-000000000009", HashKeyRange = shards[1].HashKeyRange, SequenceNumberRange = shards[1].SequenceNumberRange };
        _router.UseShards(ShardMap.FromOpenShards(shards));

        Assert.Same(before["shardId-000000000000"], _router.Lanes[0].Rate);
        Assert.NotSame(before["shardId-000000000001"], _router.Lanes[1].Rate);
    }

    [Fact]
    public async Task AFailingLaneHoldsBackOnlyItsOwnShardAndTheSwitchUntilItRecovers()
    {
        var two = Shards(2);
        _router.UseShards(two);
        var down = true;
        _kinesis.Put = (request, _) =>
        {
            var shard = two.IndexOf(request.Records[0].PartitionKey);
            return shard == 0 && Volatile.Read(ref down)
                ? throw new HttpRequestException("Connection refused (127.0.0.1:4567)", new SocketException((int)SocketError.ConnectionRefused))
                : Task.FromResult(FakeKinesis.Answer(request, shardId: two.ShardIds[shard]!));
        };
        var failing = Batch("f", 4, _ => KeyOn(two, 0));
        var healthy = Batch("h", 4, _ => KeyOn(two, 1));
        _router.TryRoute(failing.Records);
        _router.TryRoute(healthy.Records);

        await Done(healthy.Batch.Completion);
        await Eventually.TrueAsync(() => _status.LastError is not null && _clock.PendingTimerCount > 0, "the failure is reported and a retry is scheduled");
        Assert.Contains("4 of 4 records for shardId-000000000000 not written", _status.LastError, StringComparison.Ordinal);
        Assert.False(failing.Batch.Completion.IsCompleted);

        var three = Shards(3);
        _router.UseShards(three);
        var later = Batch("l", 4, i => $"user-{i}");
        _router.TryRoute(later.Records);
        var calls = _kinesis.Calls.Count;
        Assert.Same(two, _router.Map);
        Assert.False(later.Batch.Completion.IsCompleted);

        Volatile.Write(ref down, false);
        _clock.Advance(TimeSpan.FromSeconds(1));

        await Done(Task.WhenAll(failing.Batch.Completion, later.Batch.Completion));
        Assert.Same(three, _router.Map);
        Assert.Null(_status.LastError);
        Assert.Equal(["f0", "f1", "f2", "f3"], Ids(_kinesis.Calls.ElementAt(calls)));
    }

    [Fact]
    public async Task DisposingFailsTheBatchesQueuedInLanesAndThoseHeldForASwitchAndRefusesMore()
    {
        _kinesis.Put = async (_, _) =>
        {
            await Task.Delay(Timeout.Infinite, _router.Stopping);
            throw new InvalidOperationException("unreachable");
        };
        var queued = Batch("q", 3, i => $"user-{i}");
        _router.TryRoute(queued.Records);
        await Eventually.TrueAsync(() => _kinesis.Calls.Count == 1, "the put is under way");
        _router.UseShards(Shards(2));
        var held = Batch("h", 3, i => $"user-{i}");
        _router.TryRoute(held.Records);

        await _router.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => Done(queued.Batch.Completion));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Done(held.Batch.Completion));
        Assert.False(_router.TryRoute(Batch("n", 1, _ => "k").Records));
    }
}
