using System.Buffers;
using Tracking.Api.Delivery;

namespace Tracking.Api.Spool;

/// <summary>
/// The group-commit writer, without a writer thread. With <see cref="Durability.Fsync"/> the first request to arrive
/// while nobody writes becomes the leader: on its own thread it frames every request waiting at that moment and writes
/// them with one write and one sync; the requests arriving meanwhile wait and are written by the next round, which a
/// pool thread leads while the first thread answers its group. With <see cref="Durability.Write"/> there is no sync to
/// share, so each request writes its own events under the gate and is answered without yielding its thread.
/// </summary>
internal sealed partial class GroupCommitWriter
{
    // A round writes at most this many bytes; what is left waits for the next round.
    private const long MaxRoundBytes = 32L << 20;

    // Set while a leader answers its group: a continuation running there that enqueues again must not lead inline, or
    // the rest of the group waits for everything that continuation goes on to do (and leaders nest on one stack).
    [ThreadStatic]
    private static bool t_answering;

    private readonly Durability _durability;
    private readonly TimeProvider _time;
    private readonly SegmentFiles _segments;
    private readonly SpoolTail _tail;
    private readonly SpoolGauges _gauges;
    private readonly FullDisk _fullDisk;
    private readonly WriterSignal _signal;
    private readonly ILogger _logger;
    private readonly string _directory;

    // Guarded by _gate.
    private readonly object _gate = new();
    private List<WriteRequest> _pending = [];
    private List<WriteRequest> _spare = [];
    private readonly List<WriteRequest> _single = [];
    private bool _leading;
    private volatile bool _closed;

    // The leader's alone (one leader at a time).
    private long _nextPosition;
    private readonly List<int> _frameEnds = [];

    public GroupCommitWriter(Durability durability, TimeProvider time, SegmentFiles segments, SpoolTail tail, SpoolGauges gauges, FullDisk fullDisk, WriterSignal signal, long nextPosition, ILogger logger, string directory)
    {
        _durability = durability;
        _time = time;
        _segments = segments;
        _tail = tail;
        _gauges = gauges;
        _fullDisk = fullDisk;
        _signal = signal;
        _nextPosition = nextPosition;
        _logger = logger;
        _directory = directory;
    }

    public bool Closed => _closed;

    /// <summary>
    /// Writes <paramref name="request"/> (its bytes already reserved) and completes once its events are as durable as
    /// the durability promises. Not cancellable: once handed over, the answer must say what became of the events.
    /// </summary>
    public ValueTask<EnqueueOutcome> WriteAsync(WriteRequest request)
    {
        if (_durability == Durability.Write)
        {
            return new ValueTask<EnqueueOutcome>(WriteNow(request));
        }

        bool lead;
        lock (_gate)
        {
            if (_closed)
            {
                _gauges.Unreserve(request.Bytes);
                return new ValueTask<EnqueueOutcome>(EnqueueOutcome.Closed);
            }

            _pending.Add(request);
            lead = !_leading;
            _leading = true;
        }

        if (lead)
        {
            if (t_answering)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static writer => writer.Lead(), this, preferLocal: false);
            }
            else
            {
                Lead();
            }
        }

        return new ValueTask<EnqueueOutcome>(request.Done.Task);
    }

    /// <summary>Refuses new requests; once the leader (if any) is done, tells the reader nothing more will come.</summary>
    public void Close()
    {
        bool done;
        lock (_gate)
        {
            _closed = true;
            done = !_leading;
        }

        if (done)
        {
            _signal.WriterDone();
        }
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) for a leader to finish what it took: every request handed over gets its answer.</summary>
    public void WaitForLeader(TimeSpan timeout)
    {
        lock (_gate)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (_leading && DateTime.UtcNow < deadline)
            {
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>
    /// For the reaper: when every event written is acknowledged (<paramref name="watermark"/> has reached the next
    /// position, none is outstanding) and nobody is writing, seals the write segment, which then holds only delivered
    /// events, so it can be deleted. Returns false once the spool is closed.
    /// </summary>
    public bool SealIfAllDelivered(long watermark, int outstanding)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            if (outstanding == 0 && !_leading && _segments.WriteSegment.Length > 0 && watermark >= _nextPosition)
            {
                _segments.TrySealAndOpenNext(_segments.WriteSegment, _nextPosition);
            }

            return true;
        }
    }

    /// <summary>
    /// <see cref="Durability.Write"/>: a write to the operating system costs microseconds and there is no sync to wait
    /// for, so the request writes its own events under the gate.
    /// </summary>
    private EnqueueOutcome WriteNow(WriteRequest request)
    {
        lock (_gate)
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
        lock (_gate)
        {
            group = TakeRound();
        }

        var outcome = Commit(group);
        bool more;
        var done = false;
        lock (_gate)
        {
            more = _pending.Count > 0;
            if (!more)
            {
                _leading = false;
                Monitor.PulseAll(_gate);
                done = _closed;
            }
        }

        if (more)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static writer => writer.Lead(), this, preferLocal: false);
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
        lock (_gate)
        {
            _spare = group;
        }

        if (done)
        {
            _signal.WriterDone();
        }
    }

    /// <summary>The pending requests this round writes (under _gate): all of them, unless they hold more than <see cref="MaxRoundBytes"/>.</summary>
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

    private EnqueueOutcome WriteGroup(List<WriteRequest> group)
    {
        long bytes = 0;
        foreach (var request in group)
        {
            bytes += request.Bytes;
        }

        var segment = _segments.WriteSegment;
        var buffer = ArrayPool<byte>.Shared.Rent((int)bytes);
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
                var sync = _durability == Durability.Fsync;
                _segments.Append(buffer, used, sync);
                if (sync)
                {
                    _gauges.Synced(group.Count);
                }
            }
            catch (IOException ex)
            {
                outcome = EnqueueOutcome.Full;
                _fullDisk.WriteFailed(segment, _nextPosition, ex);
                return outcome;
            }

            _fullDisk.WriteSucceeded();
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
            ArrayPool<byte>.Shared.Return(buffer);
            _gauges.Unreserve(bytes);
            if (outcome != EnqueueOutcome.Accepted)
            {
                _gauges.Full = true;
            }

            _signal.Written();
        }

        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing to the spool in {Directory} failed; answering 503 until it works again")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string directory);
}
