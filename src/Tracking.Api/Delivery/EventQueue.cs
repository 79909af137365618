using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Tracking.Api.Delivery;

/// <summary>The in-memory <see cref="IEventQueue"/>: an unbounded channel behind a reservation on events and bytes.</summary>
internal sealed class EventQueue(IOptions<QueueOptions> options) : IEventQueue
{
    public int CapacityEvents => _maxEvents;

    public long CapacityBytes => _maxBytes;

    private readonly Channel<EnrichedEvent> _channel = Channel.CreateUnbounded<EnrichedEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly int _maxEvents = options.Value.MaxEvents;
    private readonly long _maxBytes = options.Value.MaxBytes;
    private long _events;
    private long _bytes;
    private volatile bool _full;

    public long Depth => Interlocked.Read(ref _events);

    public long DepthBytes => Interlocked.Read(ref _bytes);

    // An empty queue is never full, whatever the last refused request was.
    public bool IsFull => _full && Depth > 0;

    public bool TryEnqueue(IReadOnlyList<EnrichedEvent> events)
    {
        var bytes = EnrichedEvent.SizeOf(events);

        // Reserve first so concurrent requests can never overshoot the capacity together.
        var newBytes = Interlocked.Add(ref _bytes, bytes);
        var newEvents = Interlocked.Add(ref _events, events.Count);
        if (newBytes > _maxBytes || newEvents > _maxEvents)
        {
            Release(events.Count, bytes);
            _full = true;
            return false;
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (!_channel.Writer.TryWrite(events[i]))
            {
                // Closed while writing: the ones written stay queued and will be delivered, but the
                // caller must not answer 200 for a request whose events are only partly queued.
                Release(events.Count - i, bytes - EnrichedEvent.SizeOf(events, i));
                return false;
            }
        }

        return true;
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) =>
        _channel.Reader.WaitToReadAsync(cancellationToken);

    public bool TryPeek(out EnrichedEvent item) => _channel.Reader.TryPeek(out item);

    public bool TryRead(out EnrichedEvent item) => _channel.Reader.TryRead(out item);

    public void Acknowledge(int events, long bytes)
    {
        Release(events, bytes);
        _full = false;
    }

    public void Close() => _channel.Writer.TryComplete();

    private void Release(int events, long bytes)
    {
        Interlocked.Add(ref _bytes, -bytes);
        Interlocked.Add(ref _events, -events);
    }
}
