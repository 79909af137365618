using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Tracking.Api.Delivery;

/// <summary>
/// The in-memory <see cref="IEventQueue"/> (<c>Tracking:Spool:Durability=Memory</c>): an unbounded channel
/// behind a reservation on events and bytes. Fastest, and loses what it holds when the process dies.
/// </summary>
internal sealed class EventQueue(IOptions<QueueOptions> options, TimeProvider time) : IEventQueue
{
    public int CapacityEvents => _maxEvents;

    public long CapacityBytes => _maxBytes;

    private readonly Channel<(EnrichedEvent Event, long AcceptedAt)> _channel = Channel.CreateUnbounded<(EnrichedEvent, long)>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly int _maxEvents = options.Value.MaxEvents;
    private readonly long _maxBytes = options.Value.MaxBytes;
    private readonly AcknowledgementTracker _acknowledgements = new();
    private long _events;
    private long _bytes;
    private long _nextPosition;
    private volatile bool _full;

    public long Depth => Interlocked.Read(ref _events);

    public long DepthBytes => Interlocked.Read(ref _bytes);

    // An empty queue is never full, whatever the last refused request was.
    public bool IsFull => _full && Depth > 0;

    public DateTimeOffset? OldestAcceptedAt
    {
        get
        {
            lock (_acknowledgements)
            {
                if (_acknowledgements.OldestAcceptedAt is { } oldest)
                {
                    return oldest;
                }
            }

            return _channel.Reader.TryPeek(out var next) ? new DateTimeOffset(next.AcceptedAt, TimeSpan.Zero) : null;
        }
    }

    public ValueTask<EnqueueOutcome> EnqueueAsync(IReadOnlyList<EnrichedEvent> events, CancellationToken cancellationToken)
    {
        var bytes = EnrichedEvent.SizeOf(events);

        // Reserve first so concurrent requests can never overshoot the capacity together.
        var newBytes = Interlocked.Add(ref _bytes, bytes);
        var newEvents = Interlocked.Add(ref _events, events.Count);
        if (newBytes > _maxBytes || newEvents > _maxEvents)
        {
            Release(events.Count, bytes);
            _full = true;
            return ValueTask.FromResult(EnqueueOutcome.Full);
        }

        var now = time.GetUtcNow().UtcTicks;
        lock (_channel)
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (!_channel.Writer.TryWrite((events[i] with { Position = ++_nextPosition }, now)))
                {
                    // Closed while writing: the ones written stay queued and will be delivered, but the
                    // caller must not answer 200 for a request whose events are only partly queued.
                    Release(events.Count - i, bytes - EnrichedEvent.SizeOf(events, i));
                    return ValueTask.FromResult(EnqueueOutcome.Closed);
                }
            }
        }

        return ValueTask.FromResult(EnqueueOutcome.Accepted);
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) =>
        _channel.Reader.WaitToReadAsync(cancellationToken);

    public bool TryPeek(out EnrichedEvent item)
    {
        var found = _channel.Reader.TryPeek(out var next);
        item = next.Event;
        return found;
    }

    public bool TryRead(out EnrichedEvent item)
    {
        var found = _channel.Reader.TryRead(out var next);
        item = next.Event;
        if (found)
        {
            lock (_acknowledgements)
            {
                _acknowledgements.Read(item.Position, next.AcceptedAt);
            }
        }

        return found;
    }

    public void Acknowledge(IReadOnlyList<EnrichedEvent> events)
    {
        var count = 0;
        long bytes = 0;
        lock (_acknowledgements)
        {
            foreach (var e in events)
            {
                if (_acknowledgements.Acknowledge(e.Position))
                {
                    count++;
                    bytes += e.SizeBytes;
                }
            }
        }

        Release(count, bytes);
        _full = false;
    }

    public void Close() => _channel.Writer.TryComplete();

    private void Release(int events, long bytes)
    {
        Interlocked.Add(ref _bytes, -bytes);
        Interlocked.Add(ref _events, -events);
    }
}
