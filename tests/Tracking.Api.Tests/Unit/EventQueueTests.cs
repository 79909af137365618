using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;

namespace Tracking.Api.Tests.Unit;

public class EventQueueTests
{
    private static EventQueue Queue(int maxEvents = 10, long maxBytes = 1_000_000) =>
        new(Options.Create(new QueueOptions { MaxEvents = maxEvents, MaxBytes = maxBytes }));

    private static EnrichedEvent[] Events(int count, int size = 10) =>
        Enumerable.Range(0, count).Select(i => new EnrichedEvent(new byte[size], $"m{i}", "p")).ToArray();

    [Fact]
    public void ARequestIsAcceptedWholeOrNotAtAll()
    {
        var queue = Queue(maxEvents: 5);

        Assert.True(queue.TryEnqueue(Events(3)));
        Assert.False(queue.TryEnqueue(Events(3)));
        Assert.Equal(3, queue.Depth);
        Assert.True(queue.IsFull);
        Assert.True(queue.TryEnqueue(Events(2)));
    }

    [Fact]
    public void AnEmptyQueueIsNeverReportedFull()
    {
        var queue = Queue(maxEvents: 5);
        queue.TryEnqueue(Events(3));
        Assert.False(queue.TryEnqueue(Events(3)));
        Assert.True(queue.IsFull);

        queue.TryRead(out _);
        queue.TryRead(out _);
        queue.TryRead(out _);
        queue.Acknowledge(3, 30);
        Assert.False(queue.TryEnqueue(Events(6)));

        Assert.Equal(0, queue.Depth);
        Assert.False(queue.IsFull);
    }

    [Fact]
    public void BytesAreBoundedAsWellAsEvents()
    {
        var queue = Queue(maxBytes: 100);

        Assert.True(queue.TryEnqueue(Events(2, size: 40)));
        Assert.False(queue.TryEnqueue(Events(1, size: 40)));
        Assert.Equal(80, queue.DepthBytes);
    }

    [Fact]
    public void ReadingDoesNotFreeRoomOnlyAcknowledgingDoes()
    {
        var queue = Queue(maxEvents: 2);
        queue.TryEnqueue(Events(2));

        Assert.True(queue.TryRead(out _));
        Assert.True(queue.TryRead(out _));
        Assert.False(queue.TryEnqueue(Events(1)));

        queue.Acknowledge(2, 20);

        Assert.False(queue.IsFull);
        Assert.True(queue.TryEnqueue(Events(1)));
    }

    [Fact]
    public async Task AClosedQueueRefusesNewEventsButYieldsQueuedOnes()
    {
        var queue = Queue();
        queue.TryEnqueue(Events(2));
        queue.Close();

        Assert.False(queue.TryEnqueue(Events(1)));
        Assert.True(queue.TryRead(out var first));
        Assert.Equal("m0", first.MessageId);
        Assert.True(queue.TryRead(out _));
        Assert.False(await queue.WaitToReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ConcurrentWritersNeverOvershootTheCapacity()
    {
        var queue = Queue(maxEvents: 1000);

        var accepted = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => queue.TryEnqueue(Events(7)))));

        Assert.Equal(accepted.Count(a => a) * 7, queue.Depth);
        Assert.True(queue.Depth <= 1000);
        Assert.Equal(142, accepted.Count(a => a));
    }
}
