using Tracking.Api.Delivery;

namespace Tracking.Api.Spool;

/// <summary>
/// Acknowledgement tracking: which positions the reader handed out and which the sinks acknowledged (in any order;
/// <see cref="AcknowledgementTracker"/>), recorded in <see cref="AcknowledgementLog"/> so that a restart delivers only
/// the rest. Thread-safe: the batcher's reader, its sink tasks and the reaper's timer call it concurrently.
/// </summary>
internal sealed partial class SpoolAcknowledgements : IDisposable
{
    // Past this size, deleting segments also rewrites the log with only what lies above the watermark.
    private const long CompactLogBytes = 4 << 20;

    private readonly AcknowledgementTracker _tracker = new();
    private readonly AcknowledgementLog _log;
    private readonly ILogger _logger;
    private readonly string _directory;
    private List<(long Start, long End)> _acknowledgedBefore = [];

    public SpoolAcknowledgements(string directory, ILogger logger)
    {
        _directory = directory;
        _logger = logger;
        _log = new AcknowledgementLog(directory);
    }

    /// <summary>
    /// Held while acknowledgements change and while the reaper acts on them, so a watermark it read stays true while it
    /// deletes. Lock order: this, then the writer's gate.
    /// </summary>
    public object Gate => _tracker;

    /// <summary>Every event read at a position below this has been acknowledged.</summary>
    public long Watermark
    {
        get
        {
            lock (Gate)
            {
                return _tracker.Watermark;
            }
        }
    }

    /// <summary>Events read and not yet acknowledged.</summary>
    public int Outstanding
    {
        get
        {
            lock (Gate)
            {
                return _tracker.Outstanding;
            }
        }
    }

    /// <summary>When the oldest event read and not yet acknowledged was accepted; null when none is outstanding.</summary>
    public DateTimeOffset? OldestAcceptedAt
    {
        get
        {
            lock (Gate)
            {
                return _tracker.OldestAcceptedAt;
            }
        }
    }

    /// <summary>The ranges a previous run recorded acknowledged, merged and in order.</summary>
    public List<(long Start, long End)> ReadLog() => _log.Read();

    /// <summary>
    /// Starts tracking after recovery: rewrites the log with what it still needs (the ranges at or above the first kept
    /// position) and starts the watermark there.
    /// </summary>
    public void StartAt(PositionsAtStart start)
    {
        _acknowledgedBefore = start.AcknowledgedBefore;
        try
        {
            _log.Rewrite(_acknowledgedBefore);
        }
        catch (IOException ex)
        {
            // A full disk must not stop the start: the log as it is holds every range kept here, and more.
            LogAcknowledgementNotRecorded(_logger, ex, 0, _directory);
        }

        lock (Gate)
        {
            _tracker.StartAt(start.LiveFrom);
        }
    }

    /// <summary>The reader handed out the event at <paramref name="position"/>.</summary>
    public void Read(long position, long acceptedAtTicks)
    {
        lock (Gate)
        {
            _tracker.Read(position, acceptedAtTicks);
        }
    }

    /// <summary>The reader passed <paramref name="position"/> by, acknowledged by a previous run.</summary>
    public void Skipped(long position)
    {
        lock (Gate)
        {
            _tracker.Skipped(position);
        }
    }

    /// <summary>Records what a sink acknowledged; returns how many of <paramref name="events"/> were not acknowledged before.</summary>
    public int Acknowledge(IReadOnlyList<EnrichedEvent> events)
    {
        var positions = new List<long>(events.Count);
        lock (Gate)
        {
            foreach (var e in events)
            {
                if (_tracker.Acknowledge(e.Position))
                {
                    positions.Add(e.Position);
                }
            }

            if (positions.Count > 0)
            {
                try
                {
                    _log.Append(positions);
                }
                catch (IOException ex)
                {
                    // A full disk: these are delivered again after a restart (at least once); deleting segments
                    // below the watermark needs no log and is what frees the disk.
                    LogAcknowledgementNotRecorded(_logger, ex, positions.Count, _directory);
                }
            }
        }

        return positions.Count;
    }

    /// <summary>
    /// After segments below <paramref name="watermark"/> were deleted: once the log has grown large, rewrites it with
    /// only what lies above the watermark (everything below it is gone with its segments). Under <see cref="Gate"/>.
    /// </summary>
    public void CompactLog(long watermark)
    {
        if (_log.Bytes <= CompactLogBytes)
        {
            return;
        }

        lock (Gate)
        {
            List<(long Start, long End)> kept = [(0, watermark), .. _tracker.AcknowledgedAboveWatermark.Select(p => (p, p + 1)), .. _acknowledgedBefore.Where(r => r.End > watermark)];
            try
            {
                _log.Rewrite(AcknowledgementLog.Merge(kept));
            }
            catch (IOException ex)
            {
                // The log as it is stays right, only larger: the next deletion tries again.
                LogAcknowledgementNotRecorded(_logger, ex, 0, _directory);
            }
        }
    }

    public void Dispose()
    {
        lock (Gate)
        {
            _log.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record or compact {Count} acknowledgements in {Directory}; they may be delivered again after a restart")]
    private static partial void LogAcknowledgementNotRecorded(ILogger logger, Exception exception, int count, string directory);
}
