using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Spool;

/// <summary>
/// The write-ahead spool: the <see cref="IEventQueue"/> that makes a 200 mean the event will reach the sink whatever
/// crashes. It puts its parts together, each in a file of its name:
/// <list type="bullet">
/// <item><see cref="SpoolRecovery"/> reads what a previous run left (cutting off a torn or corrupt tail);</item>
/// <item><see cref="GroupCommitWriter"/> appends accepted events as <see cref="SpoolFrame"/>s to the
/// <see cref="SegmentFiles"/>, serving every request waiting at that moment with one write and one sync, and answers
/// once they are as durable as <see cref="SpoolOptions.Durability"/> promises (<see cref="FullDisk"/> when it
/// cannot);</item>
/// <item><see cref="SpoolReader"/> feeds the batcher, from the <see cref="SpoolTail"/> while it keeps up, else from
/// the files;</item>
/// <item><see cref="SpoolAcknowledgements"/> records what sinks acknowledged, so a restart delivers only the rest,
/// first;</item>
/// <item><see cref="SegmentReaper"/> deletes a segment once all its events are acknowledged.</item>
/// </list>
/// </summary>
internal sealed class EventSpool : IEventQueue, IDisposable
{
    // Bytes of framed events the tail may hold in memory (at most an eighth of MaxBytes).
    private const long TailMaxBytes = 16L << 20;

    private readonly SpoolOptions _options;
    private readonly FileStream _lock;
    private readonly SpoolGauges _gauges;
    private readonly SegmentFiles _segments;
    private readonly SpoolAcknowledgements _acknowledgements;
    private readonly SpoolTail _tail;
    private readonly SpoolReader _reader;
    private readonly GroupCommitWriter _writer;
    private readonly SegmentReaper _reaper;

    public EventSpool(IOptions<SpoolOptions> options, TimeProvider time, ILogger<EventSpool> logger)
    {
        _options = options.Value;
        var directory = Path.GetFullPath(_options.Directory);
        // At most half of MaxBytes: the write segment is never deleted, so it must be sealed before it alone fills the spool.
        var segmentBytes = Math.Max(1, Math.Min(_options.SegmentBytes, _options.MaxBytes / 2));
        Directory.CreateDirectory(directory);
        _lock = Lock(directory);
        _gauges = new SpoolGauges(_options.MaxBytes);
        _segments = new SegmentFiles(directory, _options.Durability == Durability.Fsync, segmentBytes, logger);
        _acknowledgements = new SpoolAcknowledgements(directory, logger);
        var start = SpoolRecovery.Recover(directory, _segments, _acknowledgements, _gauges, logger);
        _segments.OpenWriteSegment(start.Next);
        var signal = new WriterSignal();
        _tail = new SpoolTail(_segments, Math.Min(TailMaxBytes, _options.MaxBytes / 8));
        _reader = new SpoolReader(_segments, _tail, signal, _acknowledgements, _gauges, start, logger, directory);
        var fullDisk = new FullDisk(_segments, () => _reaper!.LookSoon(), logger, directory);
        _writer = new GroupCommitWriter(_options.Durability, time, _segments, _tail, _gauges, fullDisk, signal, start.Next, logger, directory);
        _reaper = new SegmentReaper(_segments, _acknowledgements, _writer, _gauges, time, logger, directory);
    }

    /// <summary>How long everything written must stay delivered before the write segment is sealed and deleted.</summary>
    internal static TimeSpan DeliveredSegmentIdle => SegmentReaper.DeliveredSegmentIdle;

    public string Kind => "spool";

    public bool IsDurable => true;

    public QueueCounters Counters => new(_gauges.CorruptBytes, _gauges.Syncs, _gauges.SyncedRequests);

    public int CapacityEvents => int.MaxValue;

    public long CapacityBytes => _options.MaxBytes;

    public long Depth => _gauges.Events;

    public long DepthBytes => _gauges.DiskBytes;

    public bool IsFull => _gauges.Full && Depth > 0;

    /// <summary>Events the reader was handed from memory (the tail) since start-up.</summary>
    public long EventsReadFromMemory => _reader.EventsReadFromMemory;

    /// <summary>Events the reader read back from the segment files since start-up (after a restart, or while it was behind).</summary>
    public long EventsReadFromFiles => _reader.EventsReadFromFiles;

    /// <summary>How many times the reader caught up with the writer and the tail was switched on.</summary>
    public long TailSwitchedOn => _tail.SwitchedOn;

    /// <summary>Bytes of corrupt or torn frames cut off since start-up (at recovery or while reading).</summary>
    public long CorruptBytes => _gauges.CorruptBytes;

    public DateTimeOffset? OldestAcceptedAt
    {
        get
        {
            if (_acknowledgements.OldestAcceptedAt is { } oldest)
            {
                return oldest;
            }

            var peeked = _reader.PeekedAcceptedAtTicks;
            return peeked > 0 && Depth > 0 ? new DateTimeOffset(peeked, TimeSpan.Zero) : null;
        }
    }

    public ValueTask<EnqueueOutcome> EnqueueAsync(IReadOnlyList<EnrichedEvent> events, CancellationToken cancellationToken)
    {
        if (_writer.Closed)
        {
            return new ValueTask<EnqueueOutcome>(EnqueueOutcome.Closed);
        }

        long bytes = 0;
        foreach (var e in events)
        {
            bytes += SpoolFrame.SizeOf(e);
        }

        if (!_gauges.TryReserve(bytes))
        {
            return new ValueTask<EnqueueOutcome>(EnqueueOutcome.Full);
        }

        // Not cancelled with the request: once handed to the writer, the answer must say what became of the events.
        return _writer.WriteAsync(new WriteRequest(events, bytes));
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _reader.WaitToReadAsync(cancellationToken);

    public bool TryPeek(out EnrichedEvent item) => _reader.TryPeek(out item);

    public bool TryRead(out EnrichedEvent item) => _reader.TryRead(out item);

    public void Acknowledge(IReadOnlyList<EnrichedEvent> events)
    {
        int acknowledged;
        lock (_acknowledgements.Gate)
        {
            acknowledged = _acknowledgements.Acknowledge(events);
            _reaper.DeleteAcknowledged();
            if (acknowledged > 0 && _acknowledgements.Outstanding == 0)
            {
                _reaper.RollAfterQuietMoment();
            }
        }

        _gauges.Gone(acknowledged);
        _gauges.Full = false;
    }

    public void Close() => _writer.Close();

    public void Dispose()
    {
        _reaper.Dispose();
        Close();
        // A leader finishes what it took: every request handed over gets its answer.
        _writer.WaitForLeader(TimeSpan.FromSeconds(30));
        _segments.Dispose();
        _reader.Dispose();
        _acknowledgements.Dispose();
        _lock.Dispose();
    }

    /// <summary>
    /// One process per spool: a second would number its events from the same positions, and its acknowledgements
    /// would mark the first one's events delivered. FileShare.None takes an exclusive flock on Unix, released when
    /// the process dies however it dies.
    /// </summary>
    private static FileStream Lock(string directory)
    {
        var path = Path.Combine(directory, "spool.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex)
        {
            throw new StartRefusedException($"The spool in {directory} is in use by another process (it holds {path}); give each instance its own Tracking:Spool:Directory.", ex);
        }
    }
}
