using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
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
    // Twice the largest frame a length field may declare, so a frame that does not fit is torn, not just long.
    private const int ReadBufferBytes = 2 * (SpoolFrame.HeaderBytes + SpoolFrame.MaxBodyBytes);
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

    // Reader: the batcher's single loop.
    private readonly WriterSignal _signal = new();
    private readonly byte[] _readBuffer = new byte[ReadBufferBytes];
    private Segment? _readSegment;
    private SafeFileHandle? _readHandle;
    private long _readOffset;
    private long _bufferFileOffset;
    private int _bufferLength;
    private SpoolFrame.Frame? _peeked;
    private long _nextExpectedPosition;
    private bool _skippedDamage;
    // What recovery found: which positions a previous run acknowledged, which are counted as waiting.
    private readonly PositionsAtStart _start;

    // The tail: while the reader has read everything committed, the writer also hands it each committed group from
    // memory, so a reader that keeps up never reads, checks and copies back what was just written. When the reader
    // falls behind (a slow sink) the tail fills to its bound and is switched off; the reader drains it, reads the
    // files from where it ends, and switches it on again once it has caught up. SegmentFiles.CommitGate also guards the commit
    // of a group (segment lengths, sealing, the write segment), so "caught up" and "handed to the tail" agree.
    private readonly Queue<TailEntry> _tail = new();
    private readonly long _tailMaxBytes;
    private long _tailBytes;
    private bool _tailOn;

    // Lock order: the acknowledgements' gate, then _commitGate (RollDelivered).
    private readonly SpoolAcknowledgements _acknowledgements;
    private readonly ITimer _rollDelivered;

    private readonly SpoolGauges _gauges;
    private long _peekedAcceptedAt;

    public EventSpool(IOptions<SpoolOptions> options, TimeProvider time, ILogger<EventSpool> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _directory = Path.GetFullPath(_options.Directory);
        // At most half of MaxBytes: the write segment is never deleted, so it must be sealed before it alone fills the spool.
        var segmentBytes = Math.Max(1, Math.Min(_options.SegmentBytes, _options.MaxBytes / 2));
        _tailMaxBytes = Math.Min(TailMaxBytes, _options.MaxBytes / 8);
        _gauges = new SpoolGauges(_options.MaxBytes);
        Directory.CreateDirectory(_directory);
        _lock = Lock(_directory);
        _segments = new SegmentFiles(_directory, _options.Durability == Durability.Fsync, segmentBytes, logger);
        _acknowledgements = new SpoolAcknowledgements(_directory, logger);
        _start = SpoolRecovery.Recover(_directory, _segments, _acknowledgements, _gauges, logger);
        _nextPosition = _start.Next;
        _nextExpectedPosition = _start.LiveFrom;
        _segments.OpenWriteSegment(_nextPosition);
        _rollDelivered = time.CreateTimer(static spool => ((EventSpool)spool!).RollDelivered(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A committed event handed to the reader from memory, with where its frame ends in its segment.</summary>
    private readonly record struct TailEntry(SpoolFrame.Frame Frame, Segment Segment, long End, int Bytes);

    public string Kind => "spool";

    public bool IsDurable => true;

    public QueueCounters Counters => new(_gauges.CorruptBytes, _gauges.Syncs, _gauges.SyncedRequests);

    public int CapacityEvents => int.MaxValue;

    public long CapacityBytes => _options.MaxBytes;

    public long Depth => _gauges.Events;

    public long DepthBytes => _gauges.DiskBytes;

    public bool IsFull => _gauges.Full && Depth > 0;

    /// <summary>Events the reader was handed from memory (the tail) since start-up.</summary>
    public long EventsReadFromMemory { get; private set; }

    /// <summary>Events the reader read back from the segment files since start-up (after a restart, or while it was behind).</summary>
    public long EventsReadFromFiles { get; private set; }

    /// <summary>How many times the reader caught up with the writer and the tail was switched on.</summary>
    public long TailSwitchedOn { get; private set; }

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

            var peeked = Interlocked.Read(ref _peekedAcceptedAt);
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

    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var done = _signal.Done;
            if (TryPeek(out _))
            {
                return true;
            }

            if (done)
            {
                return false;
            }

            await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public bool TryPeek(out EnrichedEvent item)
    {
        if (_peeked is null)
        {
            _peeked = ReadNext();
            Interlocked.Exchange(ref _peekedAcceptedAt, _peeked?.AcceptedAtTicks ?? 0);
        }

        item = _peeked?.Event ?? default;
        return _peeked is not null;
    }

    public bool TryRead(out EnrichedEvent item)
    {
        if (!TryPeek(out item))
        {
            return false;
        }

        _acknowledgements.Read(item.Position, _peeked!.Value.AcceptedAtTicks);

        _peeked = null;
        return true;
    }

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
        _readHandle?.Dispose();
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
                HandToTail(group, segment, start, _nextPosition, acceptedAt, used);
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

    /// <summary>Gives the reader a committed group from memory while it is caught up (under SegmentFiles.CommitGate); switches the tail off when it is full.</summary>
    private void HandToTail(List<WriteRequest> group, Segment segment, long start, long position, long acceptedAt, int used)
    {
        if (!_tailOn)
        {
            return;
        }

        if (_tailBytes + used > _tailMaxBytes)
        {
            // The reader is behind: from here on it reads the files, from where the tail ends.
            _tailOn = false;
            return;
        }

        var i = 0;
        var previous = 0;
        foreach (var request in group)
        {
            foreach (var e in request.Events)
            {
                var end = _frameEnds[i++];
                _tail.Enqueue(new TailEntry(new SpoolFrame.Frame(e with { Position = position++ }, acceptedAt), segment, start + end, end - previous));
                previous = end;
            }
        }

        _tailBytes += used;
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

    // ---- Reading -------------------------------------------------------------------------------

    private SpoolFrame.Frame? ReadNext()
    {
        while (true)
        {
            if (TakeFromTail(out var fromTail))
            {
                // While the tail is on, everything committed after the reader's place is in it: never in the files alone.
                return fromTail;
            }

            if (_readSegment is null)
            {
                _readSegment = _segments.First();

                if (_readSegment is null)
                {
                    return null;
                }

                StartReading(_readSegment, 0);
            }

            var segment = _readSegment;
            var sealedNow = segment.Sealed;
            var committed = Volatile.Read(ref segment.Length);
            if (_readOffset >= committed)
            {
                if (sealedNow && MoveToNextSegment(segment))
                {
                    continue;
                }

                if (SwitchTailOn(segment))
                {
                    continue;
                }

                return null;
            }

            _readHandle ??= File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var at = (int)(_readOffset - _bufferFileOffset);
            if (_readOffset < _bufferFileOffset || at >= _bufferLength)
            {
                Fill(committed);
                at = 0;
            }

            var status = SpoolFrame.TryRead(_readBuffer.AsSpan(at, _bufferLength - at), out var frame, out var consumed);
            if (status == SpoolFrame.ReadStatus.Incomplete && _bufferFileOffset + _bufferLength < committed)
            {
                Fill(committed);
                status = SpoolFrame.TryRead(_readBuffer.AsSpan(0, _bufferLength), out frame, out consumed);
            }

            if (status != SpoolFrame.ReadStatus.Read)
            {
                // Damaged after it was written (the disk, or a hand): the rest of this segment cannot be framed.
                _gauges.Corrupt(committed - _readOffset);
                LogCorruptWhileReading(_logger, segment.Path, _readOffset, committed - _readOffset);
                _readOffset = committed;
                _skippedDamage = true;
                continue;
            }

            _readOffset += consumed;
            CountLost(frame.Event.Position);
            if (_start.WasAcknowledged(frame.Event.Position))
            {
                _acknowledgements.Skipped(frame.Event.Position);

                continue;
            }

            EventsReadFromFiles++;
            return frame;
        }
    }

    /// <summary>
    /// Whether the reader is served from the tail: true with its next event, or true with none when the tail is on
    /// and empty (nothing new yet); false when the tail is off and drained, so the files are read from where it ended.
    /// </summary>
    private bool TakeFromTail(out SpoolFrame.Frame? frame)
    {
        TailEntry entry;
        lock (_segments.CommitGate)
        {
            if (!_tail.TryDequeue(out entry))
            {
                frame = null;
                return _tailOn;
            }

            _tailBytes -= entry.Bytes;
        }

        if (!ReferenceEquals(entry.Segment, _readSegment))
        {
            StartReading(entry.Segment, entry.End);
        }
        else
        {
            _readOffset = entry.End;
        }

        frame = entry.Frame;
        CountLost(entry.Frame.Event.Position);
        EventsReadFromMemory++;
        return true;
    }

    /// <summary>
    /// Positions are consecutive: after damaged bytes were skipped, the gap before the next frame read is the number of
    /// events lost with them, no longer waiting for delivery.
    /// </summary>
    private void CountLost(long position)
    {
        if (_skippedDamage && position > _nextExpectedPosition)
        {
            var lost = _start.CountedBetween(_nextExpectedPosition, position);
            if (lost > 0)
            {
                _gauges.Gone(lost);
                LogLostToDamage(_logger, lost, _directory);
            }
        }

        _skippedDamage = false;
        _nextExpectedPosition = position + 1;
    }

    /// <summary>
    /// The reader has read all of <paramref name="segment"/> that is committed: when that is the segment being
    /// written, every group committed from now on is handed over in memory. Under SegmentFiles.CommitGate, so no group can be
    /// committed between the test and the switch.
    /// </summary>
    private bool SwitchTailOn(Segment segment)
    {
        lock (_segments.CommitGate)
        {
            if (_tailOn || !ReferenceEquals(segment, _segments.WriteSegment) || segment.Sealed || _readOffset != segment.Length || _tail.Count > 0)
            {
                return false;
            }

            _tailOn = true;
            TailSwitchedOn++;
            return true;
        }
    }

    private void Fill(long committed)
    {
        var length = (int)Math.Min(_readBuffer.Length, committed - _readOffset);
        _bufferLength = RandomAccess.Read(_readHandle!, _readBuffer.AsSpan(0, length), _readOffset);
        _bufferFileOffset = _readOffset;
    }

    /// <summary>Reads <paramref name="segment"/> from <paramref name="offset"/> on; its file is opened when a frame is read from it.</summary>
    private void StartReading(Segment segment, long offset)
    {
        _readHandle?.Dispose();
        _readHandle = null;
        _readSegment = segment;
        _readOffset = offset;
        _bufferFileOffset = 0;
        _bufferLength = 0;
    }

    private bool MoveToNextSegment(Segment current)
    {
        var next = _segments.After(current);

        if (next is null)
        {
            return false;
        }

        StartReading(next, 0);
        return true;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool segment {Path} is damaged at byte {Offset}: {Bytes} bytes after it cannot be read and are skipped (tracking.spool.corrupt_bytes)")]
    private static partial void LogCorruptWhileReading(ILogger logger, string path, long offset, long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Events} events in the damaged part of the spool in {Directory} were lost and are no longer counted as waiting")]
    private static partial void LogLostToDamage(ILogger logger, long events, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing to the spool in {Directory} failed; answering 503 until it works again")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Writing to the spool in {Directory} works again")]
    private static partial void LogWritingAgain(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not seal or delete the delivered spool segments in {Directory}; trying again at the next acknowledgement")]
    private static partial void LogRollFailed(ILogger logger, Exception exception, string directory);
}
