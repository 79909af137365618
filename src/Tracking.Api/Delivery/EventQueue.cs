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

    // One item per request, not per event: a 100-event batch is one write, and the lock that keeps positions in channel
    // order is held for that one write (per-event writes under it made concurrent requests queue on the lock).
    private readonly Channel<Chunk> _channel = Channel.CreateUnbounded<Chunk>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly int _maxEvents = options.Value.MaxEvents;
    private readonly long _maxBytes = options.Value.MaxBytes;
    private readonly AcknowledgementTracker _acknowledgements = new();
    private long _events;
    private long _bytes;
    private long _nextPosition;
    private volatile bool _full;

    // The reader's chunk and its next event; only the reader touches them. Once taken from the channel, the chunk's
    // accept time is published for OldestAcceptedAt while some of its events are still unread.
    private Chunk? _reading;
    private int _readIndex;
    private long _readingAcceptedAt;

    /// <summary>One request's events, positioned from <paramref name="First"/> on in order.</summary>
    private sealed record Chunk(IReadOnlyList<EnrichedEvent> Events, long First, long AcceptedAt);

    public string Kind => "memory";

    public bool IsDurable => false;

    public QueueCounters Counters => default;

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

            var reading = Interlocked.Read(ref _readingAcceptedAt);
            if (reading > 0)
            {
                return new DateTimeOffset(reading, TimeSpan.Zero);
            }

            return _channel.Reader.TryPeek(out var next) ? new DateTimeOffset(next.AcceptedAt, TimeSpan.Zero) : null;
        }
    }

    public ValueTask<EnqueueOutcome> EnqueueAsync(IReadOnlyList<EnrichedEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return ValueTask.FromResult(EnqueueOutcome.Accepted);
        }

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
            if (!_channel.Writer.TryWrite(new Chunk(events, _nextPosition + 1, now)))
            {
                // Closed: nothing of the request is queued, so the caller can refuse all of it.
                Release(events.Count, bytes);
                return ValueTask.FromResult(EnqueueOutcome.Closed);
            }

            _nextPosition += events.Count;
        }

        return ValueTask.FromResult(EnqueueOutcome.Accepted);
    }

    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) =>
        HasUnread() || await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);

    public bool TryPeek(out EnrichedEvent item)
    {
        if (!HasUnread() && !TakeChunk())
        {
            item = default;
            return false;
        }

        item = _reading!.Events[_readIndex] with { Position = _reading.First + _readIndex };
        return true;
    }

    public bool TryRead(out EnrichedEvent item)
    {
        if (!TryPeek(out item))
        {
            return false;
        }

        lock (_acknowledgements)
        {
            _acknowledgements.Read(item.Position, _reading!.AcceptedAt);
        }

        if (++_readIndex == _reading.Events.Count)
        {
            _reading = null;
            Interlocked.Exchange(ref _readingAcceptedAt, 0);
        }

        return true;
    }

    private bool HasUnread() => _reading is not null;

    private bool TakeChunk()
    {
        if (!_channel.Reader.TryRead(out var chunk))
        {
            return false;
        }

        _reading = chunk;
        _readIndex = 0;
        Interlocked.Exchange(ref _readingAcceptedAt, chunk.AcceptedAt);
        return true;
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
