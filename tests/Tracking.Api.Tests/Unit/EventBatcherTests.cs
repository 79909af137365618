using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Unit;

public class EventBatcherTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new();
    private readonly RecordingSink _sink = new();
    private readonly SinkStatus _status = new();
    private EventQueue _queue = null!;
    private EventBatcher _batcher = null!;

    private sealed class RecordingSink : IEventSink
    {
        public ConcurrentQueue<string[]> Batches { get; } = new();
        public int FailuresLeft;
        public int Attempts;
        public int Flushes;

        public string Name => "Recording";

        public Task DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Attempts);
            if (Interlocked.Decrement(ref FailuresLeft) >= 0)
            {
                throw new IOException("disk unplugged");
            }

            Batches.Enqueue(batch.Select(e => e.MessageId).ToArray());
            return Task.CompletedTask;
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
        _queue = new EventQueue(Options.Create(new QueueOptions()));
        _batcher = new EventBatcher(_queue, _sink, _status,
            Options.Create(new BatchingOptions { MaxEvents = maxEvents, MaxBytes = maxBytes, Linger = TimeSpan.FromSeconds(1), MaxInFlight = 1 }),
            _clock, NullLogger<EventBatcher>.Instance);
        return _batcher.StartAsync(CancellationToken.None);
    }

    private void Enqueue(int count, int size = 100, int start = 0) =>
        Assert.True(_queue.TryEnqueue(Enumerable.Range(start, count).Select(i => new EnrichedEvent(new byte[size], $"m{i}", "p")).ToArray()));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _batcher.StopAsync(CancellationToken.None);
        _batcher.Dispose();
    }

    [Fact]
    public async Task AFullBatchGoesAtOnceAndTheRestWaitsForTheLingerTime()
    {
        await StartAsync(maxEvents: 3);

        Enqueue(7);

        await Eventually.TrueAsync(() => _sink.Delivered == 6, "two full batches are delivered");
        await Eventually.TrueAsync(() => _clock.ActiveTimers > 0, "the last event's linger timer runs");
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
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => _sink.Delivered == 5, "the fifth event follows after the linger time");
        Assert.All(_sink.Batches, b => Assert.True(b.Length <= 2));
    }

    [Fact]
    public async Task AFailingSinkIsRetriedUntilItTakesTheBatchAndNothingIsLost()
    {
        await StartAsync(maxEvents: 2, failures: 2);

        Enqueue(2);

        await Eventually.TrueAsync(() => _sink.Attempts == 1, "the first attempt fails");
        Assert.NotNull(_status.LastError);
        Assert.Equal(2, _queue.Depth);

        await Eventually.TrueAsync(() => { _clock.Advance(TimeSpan.FromSeconds(1)); return _sink.Delivered == 2; }, "backoff passes and the third attempt succeeds");

        Assert.Equal(3, _sink.Attempts);
        Assert.Null(_status.LastError);
        Assert.Equal(0, _queue.Depth);
    }

    [Fact]
    public async Task StoppingDrainsTheQueueAndFinalizesTheSink()
    {
        await StartAsync(maxEvents: 3);
        Enqueue(10);

        await _batcher.StopAsync(CancellationToken.None);

        Assert.Equal(10, _sink.Delivered);
        Assert.Equal(1, _sink.Flushes);
        Assert.False(_queue.TryEnqueue([new EnrichedEvent([1], "late", "p")]));
    }

    [Fact]
    public void BackoffGrowsExponentiallyWithJitterUpToTheCap()
    {
        var batcher = new EventBatcher(new EventQueue(Options.Create(new QueueOptions())), _sink, _status,
            Options.Create(new BatchingOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(2) }),
            _clock, NullLogger<EventBatcher>.Instance);
        _batcher = batcher;
        _queue = new EventQueue(Options.Create(new QueueOptions()));

        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(batcher.Backoff(1), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
            Assert.InRange(batcher.Backoff(4), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800));
            Assert.InRange(batcher.Backoff(40), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        }
    }
}
