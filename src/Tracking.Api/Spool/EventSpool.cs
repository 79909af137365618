using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;

namespace Tracking.Api.Spool;

/// <summary>
/// The write-ahead spool: the <see cref="IEventQueue"/> that makes a 200 mean the event will reach the
/// sink whatever crashes. Accepted events are appended to segment files (one frame each, with its
/// length and checksum) by a single writer that serves every request waiting at that moment with one
/// write and one fsync (group commit), and a request's enqueue returns only once its events are as
/// durable as <see cref="SpoolOptions.Durability"/> promises. The batcher reads the segments in order
/// (memory stays bounded whatever they hold); what sinks acknowledge is recorded in
/// <see cref="AcknowledgementLog"/> so a restart delivers only the rest, first; a segment is deleted once
/// all its events are acknowledged. Start-up cuts off a torn or corrupt tail, reports it, and goes on.
/// </summary>
internal sealed partial class EventSpool : IEventQueue, IDisposable
{
    // Bytes of framed events the tail may hold in memory (at most an eighth of MaxBytes).
    private const long TailMaxBytes = 16L << 20;
    // A round writes at most this many bytes; what is left waits for the next round.
    private const long MaxRoundBytes = 32L << 20;
    // How long everything written must stay delivered before the write segment, then holding only delivered events, is
    // sealed and deleted: a quiet spool keeps nothing on disk, and a busy one does not start a segment per batch.
    internal static readonly TimeSpan DeliveredSegmentIdle = TimeSpan.FromSeconds(2);

    private readonly SpoolOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EventSpool> _logger;
    private readonly string _directory;
    private readonly FileStream _lock;

    // Segments in position order; the last one is being written.
    private readonly SegmentFiles _segments;

    // Writer: group commit without a writer thread. The first request to arrive while nobody writes becomes the
    // leader and writes, on its own thread, every request waiting at that moment with one write and one sync; the
    // requests arriving meanwhile wait and are written by the leader's next round (Fsync). With Durability.Write each
    // request writes its own events under the gate instead (WriteNow). Guarded by _commitGate.
    private readonly object _commitGate = new();
    private List<WriteRequest> _pending = [];
    private List<WriteRequest> _spare = [];
    private readonly List<WriteRequest> _single = [];
    private bool _leading;
    // Set while a leader answers its group: a continuation running there that enqueues again must not lead inline, or
    // the rest of the group waits for everything that continuation goes on to do (and leaders nest on one stack).
    [ThreadStatic]
    private static bool t_answering;
    private long _nextPosition;
    private readonly List<int> _frameEnds = [];
    private volatile bool _closed;
    private bool _diskFull;

    // How the writer wakes the reader.
    private readonly WriterSignal _signal = new();

    // The tail: committed groups handed to the reader from memory while it keeps up.
    private readonly SpoolTail _tail;

    // Reader: the batcher's single loop.
    private readonly SpoolReader _reader;

    // Lock order: the acknowledgements' gate, then _commitGate (RollDelivered).
    private readonly SpoolAcknowledgements _acknowledgements;
    private readonly ITimer _rollDelivered;

    private readonly SpoolGauges _gauges;

    public EventSpool(IOptions<SpoolOptions> options, TimeProvider time, ILogger<EventSpool> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _directory = Path.GetFullPath(_options.Directory);
        // At most half of MaxBytes: the write segment is never deleted, so it must be sealed before it alone fills the spool.
        var segmentBytes = Math.Max(1, Math.Min(_options.SegmentBytes, _options.MaxBytes / 2));
        _gauges = new SpoolGauges(_options.MaxBytes);
        Directory.CreateDirectory(_directory);
        _lock = Lock(_directory);
        _segments = new SegmentFiles(_directory, _options.Durability == Durability.Fsync, segmentBytes, logger);
        _acknowledgements = new SpoolAcknowledgements(_directory, logger);
        var start = SpoolRecovery.Recover(_directory, _segments, _acknowledgements, _gauges, logger);
        _nextPosition = start.Next;
        _segments.OpenWriteSegment(_nextPosition);
        _tail = new SpoolTail(_segments, Math.Min(TailMaxBytes, _options.MaxBytes / 8));
        _reader = new SpoolReader(_segments, _tail, _signal, _acknowledgements, _gauges, start, logger, _directory);
        _rollDelivered = time.CreateTimer(static spool => ((EventSpool)spool!).RollDelivered(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

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

    public async ValueTask<EnqueueOutcome> EnqueueAsync(IReadOnlyList<EnrichedEvent> events, CancellationToken cancellationToken)
    {
        if (_closed)
        {
            return EnqueueOutcome.Closed;
        }

        long bytes = 0;
        foreach (var e in events)
        {
            bytes += SpoolFrame.SizeOf(e);
        }

        // Reserve first so concurrent requests can never overshoot the limit together.
        if (!_gauges.TryReserve(bytes))
        {
            return EnqueueOutcome.Full;
        }

        var request = new WriteRequest(events, bytes);
        if (_options.Durability == Durability.Write)
        {
            return WriteNow(request);
        }

        bool lead;
        lock (_commitGate)
        {
            if (_closed)
            {
                _gauges.Unreserve(bytes);
                return EnqueueOutcome.Closed;
            }

            _pending.Add(request);
            lead = !_leading;
            _leading = true;
        }

        if (lead)
        {
            if (t_answering)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static spool => spool.Lead(), this, preferLocal: false);
            }
            else
            {
                Lead();
            }
        }

        // Not cancelled with the request: once handed to the writer, the answer must say what became of the events.
        return await request.Done.Task.ConfigureAwait(false);
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
            DeleteAcknowledgedSegments(_acknowledgements.Watermark);
            if (acknowledged > 0 && _acknowledgements.Outstanding == 0)
            {
                // Everything read is delivered: unless more arrives meanwhile, the write segment goes after a quiet moment.
                _rollDelivered.Change(DeliveredSegmentIdle, Timeout.InfiniteTimeSpan);
            }
        }

        _gauges.Gone(acknowledged);
        _gauges.Full = false;
    }

    public void Close()
    {
        bool done;
        lock (_commitGate)
        {
            _closed = true;
            done = !_leading;
        }

        if (done)
        {
            WriterDone();
        }
    }

    public void Dispose()
    {
        _rollDelivered.Dispose();
        Close();
        lock (_commitGate)
        {
            // A leader finishes what it took: every request handed over gets its answer.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (_leading && DateTime.UtcNow < deadline)
            {
                Monitor.Wait(_commitGate, TimeSpan.FromMilliseconds(100));
            }
        }

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
            throw new InvalidOperationException($"The spool in {directory} is in use by another process (it holds {path}); give each instance its own Tracking:Spool:Directory.", ex);
        }
    }

    // ---- Writing -------------------------------------------------------------------------------

    /// <summary>
    /// <see cref="Durability.Write"/>: nothing to share, since a write to the operating system costs microseconds and there is no
    /// sync to wait for, so each request writes its own events under the lock and is answered without yielding its thread.
    /// </summary>
    private EnqueueOutcome WriteNow(WriteRequest request)
    {
        lock (_commitGate)
        {
            if (_closed)
            {
                _gauges.Unreserve(request.Bytes);
                return EnqueueOutcome.Closed;
            }

            _single.Add(request);
            try
            {
                return Commit(_single);
            }
            finally
            {
                _single.Clear();
            }
        }
    }

    /// <summary>
    /// Writes one group: every request pending at this moment. When more arrived meanwhile, a pool thread leads the next
    /// group at once, so its write and sync overlap with this thread answering the requests just made durable.
    /// </summary>
    private void Lead()
    {
        List<WriteRequest> group;
        lock (_commitGate)
        {
            group = TakeRound();
        }

        var outcome = Commit(group);
        bool more;
        var done = false;
        lock (_commitGate)
        {
            more = _pending.Count > 0;
            if (!more)
            {
                _leading = false;
                Monitor.PulseAll(_commitGate);
                done = _closed;
            }
        }

        if (more)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static spool => spool.Lead(), this, preferLocal: false);
        }

        // Completed on this thread: a waiting request's continuation (the rest of its HTTP response) runs here at once
        // instead of being queued to the thread pool, which costs a single-event request measurably.
        var answering = t_answering;
        t_answering = true;
        try
        {
            foreach (var request in group)
            {
                request.Done.TrySetResult(outcome);
            }
        }
        finally
        {
            t_answering = answering;
        }

        group.Clear();
        lock (_commitGate)
        {
            _spare = group;
        }

        if (done)
        {
            WriterDone();
        }
    }

    /// <summary>Writes a group; the writer outlives any failure, since every request handed to it waits for its answer.</summary>
    private EnqueueOutcome Commit(List<WriteRequest> group)
    {
        try
        {
            return WriteGroup(group);
        }
        catch (Exception ex)
        {
            LogWriteFailed(_logger, ex, _directory);
            _gauges.Full = true;
            return EnqueueOutcome.Full;
        }
    }

    /// <summary>The pending requests this round writes (under _commitGate): all of them, unless they hold more than <see cref="MaxRoundBytes"/>.</summary>
    private List<WriteRequest> TakeRound()
    {
        long bytes = 0;
        var count = 0;
        while (count < _pending.Count && (count == 0 || bytes + _pending[count].Bytes <= MaxRoundBytes))
        {
            bytes += _pending[count++].Bytes;
        }

        if (count == _pending.Count)
        {
            var group = _pending;
            _pending = _spare;
            _spare = [];
            return group;
        }

        var taken = _pending.GetRange(0, count);
        _pending.RemoveRange(0, count);
        return taken;
    }

    /// <summary>Closed and nothing left to write: the reader's wait ends once it has read everything.</summary>
    private void WriterDone()
    {
        _signal.WriterDone();
    }

    private EnqueueOutcome WriteGroup(List<WriteRequest> group)
    {
        long bytes = 0;
        foreach (var request in group)
        {
            bytes += request.Bytes;
        }

        var segment = _segments.WriteSegment;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)bytes);
        var outcome = EnqueueOutcome.Accepted;
        try
        {
            var position = _nextPosition;
            var acceptedAt = _time.GetUtcNow().UtcTicks;
            var used = 0;
            var events = 0;
            _frameEnds.Clear();
            foreach (var request in group)
            {
                foreach (var e in request.Events)
                {
                    used += SpoolFrame.Write(buffer.AsSpan(used), e, position++, acceptedAt);
                    _frameEnds.Add(used);
                    events++;
                }
            }

            try
            {
                var sync = _options.Durability == Durability.Fsync;
                _segments.Append(buffer, used, sync);
                if (sync)
                {
                    _gauges.Synced(group.Count);
                }
            }
            catch (IOException ex)
            {
                // A full disk (ENOSPC) or a failing one: cut the file back to its committed frames and refuse the group.
                outcome = EnqueueOutcome.Full;
                CutBack(segment, ex);
                if (_segments.HoldsOnlyCommitted(segment))
                {
                    // Seal what it holds so the segment can be deleted once delivered: the write segment never is,
                    // and on a disk smaller than a segment it would stay full for ever.
                    _segments.TrySealAndOpenNext(segment, _nextPosition);

                    // Everything in it may be delivered already, and then no acknowledgement comes to delete it: look soon.
                    // Not at once: this thread holds _commitGate, and the timer's callback takes the acknowledgements' gate first.
                    _rollDelivered.Change(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
                }

                return outcome;
            }

            if (_diskFull)
            {
                _diskFull = false;
                LogWritingAgain(_logger, _directory);
            }

            _gauges.Written(events, used);
            lock (_segments.CommitGate)
            {
                var start = segment.Length;
                Volatile.Write(ref segment.Length, start + used);
                _tail.HandOver(group, _frameEnds, segment, start, _nextPosition, acceptedAt, used);
            }

            _nextPosition = position;
            if (segment.Length >= _segments.SegmentBytes)
            {
                _segments.TrySealAndOpenNext(segment, _nextPosition);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            _gauges.Unreserve(bytes);
            if (outcome != EnqueueOutcome.Accepted)
            {
                _gauges.Full = true;
            }

            _signal.Written();
        }

        return outcome;
    }

    private void CutBack(Segment segment, IOException error)
    {
        if (!_diskFull)
        {
            _diskFull = true;
            LogWriteFailed(_logger, error, _directory);
        }

        try
        {
            _segments.CutBack(segment);
        }
        catch (IOException)
        {
            // Still failing: the next group tries again; a torn tail left behind is cut off at the next start.
        }
    }

    // ---- Acknowledged segments -------------------------------------------------------------------

    /// <summary>
    /// When every event written has been delivered, seals the write segment (it then holds only delivered events) and
    /// deletes it, so the disk and <see cref="DepthBytes"/> show nothing waiting. Runs on the timer an acknowledgement
    /// arms; does nothing while a writer is at work, while events are read and not yet delivered (their acknowledgement
    /// arms the timer again), or once the spool is closed.
    /// </summary>
    private void RollDelivered()
    {
        try
        {
            lock (_acknowledgements.Gate)
            {
                lock (_commitGate)
                {
                    if (_closed)
                    {
                        return;
                    }

                    if (_acknowledgements.Outstanding == 0 && !_leading && _segments.WriteSegment.Length > 0 && _acknowledgements.Watermark >= _nextPosition)
                    {
                        _segments.TrySealAndOpenNext(_segments.WriteSegment, _nextPosition);
                    }
                }

                // Also a segment sealed by a full disk after everything in it was delivered.
                DeleteAcknowledgedSegments(_acknowledgements.Watermark);
            }
        }
        catch (Exception ex)
        {
            // On a timer thread: an exception here would end the process. What is left is deleted by a later pass.
            LogRollFailed(_logger, ex, _directory);
        }
    }

    private void DeleteAcknowledgedSegments(long watermark)
    {
        var (deleted, bytes) = _segments.DeleteBelow(watermark);
        if (deleted == 0)
        {
            return;
        }

        _gauges.OnDisk(-bytes);
        _acknowledgements.CompactLog(watermark);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing to the spool in {Directory} failed; answering 503 until it works again")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Writing to the spool in {Directory} works again")]
    private static partial void LogWritingAgain(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not seal or delete the delivered spool segments in {Directory}; trying again at the next acknowledgement")]
    private static partial void LogRollFailed(ILogger logger, Exception exception, string directory);
}
