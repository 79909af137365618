using Microsoft.Win32.SafeHandles;
using Tracking.Api.Delivery;

namespace Tracking.Api.Spool;

/// <summary>
/// The reader that feeds the batcher (its single loop): committed events in position order, from the tail while it
/// keeps up with the writer, else from the segment files (after a restart, or while a slow sink held it back), which
/// it reads through one buffer so memory stays bounded whatever they hold. It skips what a previous run recorded
/// acknowledged, and skips damaged bytes found while reading, uncounting the events lost with them.
/// </summary>
internal sealed partial class SpoolReader : IDisposable
{
    // Twice the largest frame a length field may declare, so a frame that does not fit is torn, not just long.
    private const int ReadBufferBytes = 2 * (SpoolFrame.HeaderBytes + SpoolFrame.MaxBodyBytes);

    private readonly SegmentFiles _segments;
    private readonly SpoolTail _tail;
    private readonly WriterSignal _signal;
    private readonly SpoolAcknowledgements _acknowledgements;
    private readonly SpoolGauges _gauges;
    private readonly PositionsAtStart _start;
    private readonly ILogger _logger;
    private readonly string _directory;

    private readonly byte[] _readBuffer = new byte[ReadBufferBytes];
    private Segment? _readSegment;
    private SafeFileHandle? _readHandle;
    private long _readOffset;
    private long _bufferFileOffset;
    private int _bufferLength;
    private SpoolFrame.Frame? _peeked;
    private long _peekedAcceptedAt;
    private long _nextExpectedPosition;
    private bool _skippedDamage;

    public SpoolReader(SegmentFiles segments, SpoolTail tail, WriterSignal signal, SpoolAcknowledgements acknowledgements, SpoolGauges gauges, PositionsAtStart start, ILogger logger, string directory)
    {
        _segments = segments;
        _tail = tail;
        _signal = signal;
        _acknowledgements = acknowledgements;
        _gauges = gauges;
        _start = start;
        _logger = logger;
        _directory = directory;
        _nextExpectedPosition = start.LiveFrom;
    }

    /// <summary>Events handed over from memory (the tail) since start-up.</summary>
    public long EventsReadFromMemory { get; private set; }

    /// <summary>Events read back from the segment files since start-up.</summary>
    public long EventsReadFromFiles { get; private set; }

    /// <summary>When the event peeked at was accepted (UTC ticks), 0 when none is; read from any thread.</summary>
    public long PeekedAcceptedAtTicks => Interlocked.Read(ref _peekedAcceptedAt);

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

    public void Dispose() => _readHandle?.Dispose();

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

                if (_tail.TrySwitchOn(segment, _readOffset))
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
        if (!_tail.TryTake(out var entry, out var on))
        {
            frame = null;
            return on;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Spool segment {Path} is damaged at byte {Offset}: {Bytes} bytes after it cannot be read and are skipped (tracking.spool.corrupt_bytes)")]
    private static partial void LogCorruptWhileReading(ILogger logger, string path, long offset, long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Events} events in the damaged part of the spool in {Directory} were lost and are no longer counted as waiting")]
    private static partial void LogLostToDamage(ILogger logger, long events, string directory);
}
