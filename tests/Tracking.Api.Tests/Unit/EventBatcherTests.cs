using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Telemetry;
using Tracking.Testing;
using Tracking.Testing.Time;

namespace Tracking.Api.Tests.Unit;

public class EventBatcherTests : IAsyncLifetime
{
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));
    private readonly RecordingSink _sink = new();
    private readonly DeliveryHealth _status = new();
    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
    private EventQueue _queue = null!;
    private EventBatcher _batcher = null!;

    private sealed class RecordingSink : IEventSink
    {
        public ConcurrentQueue<string[]> Batches { get; } = new();
        public int FailuresLeft;
        public int Attempts;
        public int Flushes;

        /// <summary>When set, each attempt refuses the events whose id it names, once.</summary>
        public HashSet<string> RefuseOnce { get; } = [];

        public string Name => "Recording";

        public Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Attempts);
            if (Interlocked.Decrement(ref FailuresLeft) >= 0)
            {
                throw new IOException("disk unplugged");
            }

            var refused = batch.Where(e => RefuseOnce.Remove(e.MessageId)).ToList();
            Batches.Enqueue(batch.Except(refused).Select(e => e.MessageId).ToArray());
            return Task.FromResult(new DeliveryResult(refused, refused.Count > 0 ? "ProvisionedThroughputExceededException" : null));
        }

        public Task FlushAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Flushes);
            return Task.CompletedTask;
        }

        public int Delivered => Batches.Sum(b => b.Length);
    }

    private Task StartAsync(int maxEvents = 3, int maxBytes = 1 << 20, int failures = 0)
    {
        _sink.FailuresLeft = failures;
        _queue = new EventQueue(Options.Create(new QueueOptions()), _clock);
        _batcher = new EventBatcher(_queue, _sink, _status,
            Options.Create(new BatchingOptions { MaxEvents = maxEvents, MaxBytes = maxBytes, Linger = TimeSpan.FromSeconds(1), MaxInFlight = 1 }),
            new TrackingMetrics(Meters, _queue), _clock, NullLogger<EventBatcher>.Instance);
        return _batcher.StartAsync(CancellationToken.None);
    }

    private void Enqueue(int count, int size = 100, int start = 0) =>
        Assert.Equal(EnqueueOutcome.Accepted, _queue.EnqueueAsync(Enumerable.Range(start, count).Select(i => new EnrichedEvent(new byte[size], $"m{i}", "p")).ToArray(), CancellationToken.None).AsTask().Result);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // As the host does, with a shutdown deadline: a delivery still waiting out a backoff on the fake clock is
        // cancelled at the deadline instead of holding the stop (and the whole test run) for ever.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _batcher.StopAsync(deadline.Token);
        _batcher.Dispose();
    }

    [Fact]
    public async Task AFullBatchGoesAtOnceAndTheRestWaitsForTheLingerTime()
    {
        await StartAsync(maxEvents: 3);

        Enqueue(7);

        await Eventually.TrueAsync(() => _sink.Delivered == 6, "two full batches are delivered");
        await Eventually.TrueAsync(() => _clock.PendingTimerCount > 0, "the last event's linger timer runs");
        Assert.Equal(2, _sink.Batches.Count);

        _clock.Advance(TimeSpan.FromSeconds(1));

        await Eventually.TrueAsync(() => _sink.Delivered == 7, "the lingering event is delivered");
        Assert.Equal([["m0", "m1", "m2"], ["m3", "m4", "m5"], ["m6"]], _sink.Batches.ToArray());
    }

    [Fact]
    public async Task ABatchClosesBeforeItWouldPassTheByteLimit()
    {
        await StartAsync(maxEvents: 500, maxBytes: 250);

        Enqueue(5, size: 100);

        await Eventually.TrueAsync(() => _sink.Delivered == 4, "two batches of two are delivered");
        // The batcher starts the fifth event's linger timer only after the second delivery returns: moving the clock
        // before it exists would leave it due a second after a clock that never moves again.
        await Eventually.TrueAsync(() => _clock.PendingTimerCount > 0, "the fifth event's linger timer runs");
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => _sink.Delivered == 5, "the fifth event follows after the linger time");
        Assert.All(_sink.Batches, b => Assert.True(b.Length <= 2));
    }

    [Fact]
    public async Task AFailingSinkIsRetriedUntilItTakesTheBatchAndNothingIsLost()
    {
        await StartAsync(maxEvents: 2, failures: 2);

        Enqueue(2);

        // The sink counts an attempt before it throws; the batcher reports the failure after: wait for the report.
        await Eventually.TrueAsync(() => _status.LastError is not null, "the first attempt's failure is reported");
        Assert.Equal(1, _sink.Attempts);
        Assert.Equal(2, _queue.Depth);

        // The retry runs inside Advance (the backoff's timer fires on this thread), so its outcome is settled when Delivered is.
        await Eventually.TrueAsync(() => { _clock.Advance(TimeSpan.FromSeconds(1)); return _sink.Delivered == 2; }, "backoff passes and the third attempt succeeds");

        Assert.Equal(3, _sink.Attempts);
        Assert.Null(_status.LastError);
        Assert.Equal(0, _queue.Depth);
    }

    [Fact]
    public async Task OnlyTheEventsAPartialFailureNamesAreSentAgainAndCountedAsRecovered()
    {
        var measurements = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TrackingMetrics.MeterName && instrument.Name.StartsWith("tracking.delivery.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == "sink" && (string?)t.Value == "Recording"))
            {
                measurements.AddOrUpdate(instrument.Name, value, (_, total) => total + value);
            }
        });
        listener.Start();
        _sink.RefuseOnce.UnionWith(["m1", "m3"]);
        await StartAsync(maxEvents: 4);

        Enqueue(4);

        await Eventually.TrueAsync(() => { _clock.Advance(TimeSpan.FromSeconds(1)); return _sink.Delivered == 4; }, "the refused events follow after backoff");
        Assert.Equal([["m0", "m2"], ["m1", "m3"]], _sink.Batches.ToArray());
        Assert.Equal(0, _queue.Depth);
        Assert.Null(_status.LastError);
        Assert.Equal(4, measurements["tracking.delivery.sent"]);
        Assert.Equal(2, measurements["tracking.delivery.failed"]);
        Assert.Equal(2, measurements["tracking.delivery.recovered"]);
    }

    [Fact]
    public async Task StoppingDrainsTheQueueAndFinalizesTheSink()
    {
        await StartAsync(maxEvents: 3);
        Enqueue(10);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _batcher.StopAsync(deadline.Token);

        Assert.Equal(10, _sink.Delivered);
        Assert.Equal(1, _sink.Flushes);
        Assert.Equal(EnqueueOutcome.Closed, await _queue.EnqueueAsync([new EnrichedEvent([1], "late", "p")], CancellationToken.None));
    }

    [Fact]
    public void BackoffGrowsExponentiallyWithJitterUpToTheCap()
    {
        var queue = new EventQueue(Options.Create(new QueueOptions()), TimeProvider.System);
        var batcher = new EventBatcher(queue, _sink, _status,
            Options.Create(new BatchingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(2) }),
            new TrackingMetrics(Meters, queue), _clock, NullLogger<EventBatcher>.Instance);
        _batcher = batcher;
        _queue = new EventQueue(Options.Create(new QueueOptions()), _clock);

        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(batcher.Backoff(1), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
            Assert.InRange(batcher.Backoff(4), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800));
            Assert.InRange(batcher.Backoff(40), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        }
    }
}
