namespace Tracking.Api.Spool;

/// <summary>
/// The reaper: deletes what is delivered. After every acknowledgement it deletes the first segments once every event
/// in them is acknowledged (and compacts the acknowledgement log when that has grown). And once everything written is
/// delivered and a quiet moment (<see cref="DeliveredSegmentIdle"/>) has passed, it seals the write segment, which
/// then holds only delivered events, and deletes it: a quiet spool keeps nothing on disk, and a busy one does not
/// start a segment per batch.
/// </summary>
internal sealed partial class SegmentReaper : IDisposable
{
    /// <summary>How long everything written must stay delivered before the write segment is sealed and deleted.</summary>
    internal static readonly TimeSpan DeliveredSegmentIdle = TimeSpan.FromSeconds(2);

    private readonly SegmentFiles _segments;
    private readonly SpoolAcknowledgements _acknowledgements;
    private readonly GroupCommitWriter _writer;
    private readonly SpoolGauges _gauges;
    private readonly ILogger _logger;
    private readonly string _directory;
    private readonly ITimer _timer;

    public SegmentReaper(SegmentFiles segments, SpoolAcknowledgements acknowledgements, GroupCommitWriter writer, SpoolGauges gauges, TimeProvider time, ILogger logger, string directory)
    {
        _segments = segments;
        _acknowledgements = acknowledgements;
        _writer = writer;
        _gauges = gauges;
        _logger = logger;
        _directory = directory;
        _timer = time.CreateTimer(static reaper => ((SegmentReaper)reaper!).RollDelivered(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Everything read is delivered: unless more arrives meanwhile, the write segment goes after a quiet moment.</summary>
    public void RollAfterQuietMoment() => _timer.Change(DeliveredSegmentIdle, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Looks for delivered segments in a moment (a full disk sealed one). Not at once: the writer calls this holding
    /// its gate, and the reaper takes the acknowledgements' gate first.
    /// </summary>
    public void LookSoon() => _timer.Change(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);

    /// <summary>Deletes the segments every event of which is acknowledged. Under <see cref="SpoolAcknowledgements.Gate"/>.</summary>
    public void DeleteAcknowledged()
    {
        var watermark = _acknowledgements.Watermark;
        var (deleted, bytes) = _segments.DeleteBelow(watermark);
        if (deleted == 0)
        {
            return;
        }

        _gauges.OnDisk(-bytes);
        _acknowledgements.CompactLog(watermark);
    }

    public void Dispose() => _timer.Dispose();

    /// <summary>
    /// On the timer: when every event written has been delivered, seals the write segment and deletes it, so the disk
    /// and the spool's depth in bytes show nothing waiting. Does nothing while a writer is at work, while events are
    /// read and not yet delivered (their acknowledgement arms the timer again), or once the spool is closed.
    /// </summary>
    private void RollDelivered()
    {
        try
        {
            lock (_acknowledgements.Gate)
            {
                if (!_writer.SealIfAllDelivered(_acknowledgements.Watermark, _acknowledgements.Outstanding))
                {
                    return;
                }

                // Also a segment sealed by a full disk after everything in it was delivered.
                DeleteAcknowledged();
            }
        }
        catch (Exception ex)
        {
            // On a timer thread: an exception here would end the process. What is left is deleted by a later pass.
            LogRollFailed(_logger, ex, _directory);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not seal or delete the delivered spool segments in {Directory}; trying again at the next acknowledgement")]
    private static partial void LogRollFailed(ILogger logger, Exception exception, string directory);
}
