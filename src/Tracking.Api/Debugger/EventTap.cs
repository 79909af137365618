using System.Threading.Channels;
using Tracking.Api.Delivery;

namespace Tracking.Api.Debugger;

/// <summary>
/// The event debugger's view of accepted events and refused messages: while at least one debugger is
/// connected, each accepted event's enriched JSON (and each refusal, see <see cref="RefusalTap"/>) goes
/// into a ring of the last <see cref="Capacity"/> and to every connected debugger. With none connected, <see cref="Observe"/> is one volatile read: the ingestion path pays
/// nothing else. A slow debugger loses its oldest undelivered events; it never holds up ingestion.
/// </summary>
internal sealed class EventTap
{
    /// <summary>Events kept for a debugger that connects (or reconnects).</summary>
    public const int Capacity = 500;

    /// <summary>Events waiting for one slow debugger before its oldest are dropped.</summary>
    private const int PerWatcherBacklog = 1000;

    private readonly Lock _gate = new();
    private readonly string _instance = Guid.NewGuid().ToString("N")[..8];
    private readonly TappedEvent[] _ring = new TappedEvent[Capacity];
    private readonly List<Channel<TappedEvent>> _watchers = [];
    private volatile int _watching;
    private int _next;
    private int _count;
    private long _sequence;

    /// <summary>Debuggers connected now.</summary>
    public int Watching => _watching;

    /// <param name="events">Accepted events.</param>
    /// <param name="quarantined">They went to the tracking plans' quarantine, not the main stream.</param>
    public void Observe(IReadOnlyList<EnrichedEvent> events, bool quarantined = false)
    {
        if (_watching == 0 || events.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var e in events)
            {
                Add(e.Json, refused: false, quarantined);
            }
        }
    }

    /// <summary>Shows refusals (each a <see cref="RefusedMessage"/>'s JSON) to the connected debuggers.</summary>
    public void ObserveRefused(IReadOnlyList<byte[]> refusals)
    {
        if (_watching == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var json in refusals)
            {
                Add(json, refused: true);
            }
        }
    }

    private void Add(byte[] json, bool refused, bool quarantined = false)
    {
        var tapped = new TappedEvent($"{_instance}.{++_sequence}", json, refused, quarantined);
        _ring[_next] = tapped;
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(tapped);
        }
    }

    /// <summary>Connects a debugger: the events kept so far, oldest first, then every event accepted from now on until disposed.</summary>
    public Watch Connect()
    {
        var channel = Channel.CreateBounded<TappedEvent>(new BoundedChannelOptions(PerWatcherBacklog)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            var recent = new TappedEvent[_count];
            for (var i = 0; i < _count; i++)
            {
                recent[i] = _ring[(_next - _count + i + Capacity) % Capacity];
            }

            _watchers.Add(channel);
            _watching = _watchers.Count;
            return new Watch(this, channel, recent);
        }
    }

    private void Disconnect(Channel<TappedEvent> channel)
    {
        lock (_gate)
        {
            _watchers.Remove(channel);
            _watching = _watchers.Count;
        }

        channel.Writer.TryComplete();
    }

    /// <summary>One connected debugger.</summary>
    internal sealed class Watch(EventTap tap, Channel<TappedEvent> channel, IReadOnlyList<TappedEvent> recent) : IDisposable
    {
        public IReadOnlyList<TappedEvent> Recent { get; } = recent;

        public ChannelReader<TappedEvent> Events => channel.Reader;

        public void Dispose() => tap.Disconnect(channel);
    }
}
