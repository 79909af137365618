using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;

namespace Tracking.Api.Tests.Unit;

public class EventQueueTests
{
    private static EventQueue Queue(int maxEvents = 10, long maxBytes = 1_000_000) =>
        new(Options.Create(new QueueOptions { MaxEvents = maxEvents, MaxBytes = maxBytes }), TimeProvider.System);

    private static bool Enqueue(EventQueue queue, EnrichedEvent[] events) =>
        queue.EnqueueAsync(events, CancellationToken.None).AsTask().Result == EnqueueOutcome.Accepted;

    private static List<EnrichedEvent> ReadAll(EventQueue queue)
    {
        var read = new List<EnrichedEvent>();
        while (queue.TryRead(out var e))
        {
            read.Add(e);
        }

        return read;
    }

    private static EnrichedEvent[] Events(int count, int size = 10) =>
        Enumerable.Range(0, count).Select(i => new EnrichedEvent(new byte[size], $"m{i}", "p")).ToArray();

    [Fact]
    public void ARequestIsAcceptedWholeOrNotAtAll()
    {
        var queue = Queue(maxEvents: 5);

        Assert.True(Enqueue(queue, Events(3)));
        Assert.False(Enqueue(queue, Events(3)));
        Assert.Equal(3, queue.Depth);
        Assert.True(queue.IsFull);
        Assert.True(Enqueue(queue, Events(2)));
    }

    [Fact]
    public void AnEmptyQueueIsNeverReportedFull()
    {
        var queue = Queue(maxEvents: 5);
        Enqueue(queue, Events(3));
        Assert.False(Enqueue(queue, Events(3)));
        Assert.True(queue.IsFull);

        queue.Acknowledge(ReadAll(queue));
        Assert.False(Enqueue(queue, Events(6)));

        Assert.Equal(0, queue.Depth);
        Assert.False(queue.IsFull);
    }

    [Fact]
    public void BytesAreBoundedAsWellAsEvents()
    {
        var queue = Queue(maxBytes: 100);

        Assert.True(Enqueue(queue, Events(2, size: 40)));
        Assert.False(Enqueue(queue, Events(1, size: 40)));
        Assert.Equal(80, queue.DepthBytes);
    }

    [Fact]
    public void ReadingDoesNotFreeRoomOnlyAcknowledgingDoes()
    {
        var queue = Queue(maxEvents: 2);
        Enqueue(queue, Events(2));

        var read = ReadAll(queue);
        Assert.Equal(2, read.Count);
        Assert.False(Enqueue(queue, Events(1)));

        queue.Acknowledge(read);

        Assert.False(queue.IsFull);
        Assert.True(Enqueue(queue, Events(1)));
    }

    [Fact]
    public async Task AClosedQueueRefusesNewEventsButYieldsQueuedOnes()
    {
        var queue = Queue();
        Enqueue(queue, Events(2));
        queue.Close();

        Assert.False(Enqueue(queue, Events(1)));
        Assert.True(queue.TryRead(out var first));
        Assert.Equal("m0", first.MessageId);
        Assert.True(queue.TryRead(out _));
        Assert.False(await queue.WaitToReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ConcurrentWritersNeverOvershootTheCapacity()
    {
        var queue = Queue(maxEvents: 1000);

        var accepted = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => Enqueue(queue, Events(7)))));

        Assert.Equal(accepted.Count(a => a) * 7, queue.Depth);
        Assert.True(queue.Depth <= 1000);
        Assert.Equal(142, accepted.Count(a => a));
    }
}
