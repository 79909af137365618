namespace Tracking.Api.Spool;

/// <summary>
/// The full-disk path. A write that fails (ENOSPC, or a failing disk) refuses its group with a 503: the write file is
/// cut back to its committed frames, and the segment, when that worked, is sealed so that it can be deleted once
/// delivered (the write segment never is, and on a disk smaller than a segment it would stay full for ever). The
/// first failure is logged, and so is the first write that works again. Called by the writer only.
/// </summary>
/// <param name="segments">The segment files.</param>
/// <param name="lookSoon">Asks the reaper to look for delivered segments soon (see <see cref="SegmentReaper.LookSoon"/>).</param>
/// <param name="logger">Where the failure and the recovery are reported.</param>
/// <param name="directory">The spool's folder, for the log.</param>
internal sealed partial class FullDisk(SegmentFiles segments, Action lookSoon, ILogger logger, string directory)
{
    private bool _failing;

    /// <summary>A group's write to <paramref name="segment"/> failed; <paramref name="nextPosition"/> is where the next segment would start.</summary>
    public void WriteFailed(Segment segment, long nextPosition, IOException error)
    {
        if (!_failing)
        {
            _failing = true;
            LogWriteFailed(logger, error, directory);
        }

        try
        {
            segments.CutBack(segment);
        }
        catch (IOException)
        {
            // Still failing: the next group tries again; a torn tail left behind is cut off at the next start.
        }

        if (segments.HoldsOnlyCommitted(segment))
        {
            segments.TrySealAndOpenNext(segment, nextPosition);

            // Everything in it may be delivered already, and then no acknowledgement comes to delete it: look soon.
            lookSoon();
        }
    }

    /// <summary>A group was written.</summary>
    public void WriteSucceeded()
    {
        if (_failing)
        {
            _failing = false;
            LogWritingAgain(logger, directory);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing to the spool in {Directory} failed; answering 503 until it works again")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Writing to the spool in {Directory} works again")]
    private static partial void LogWritingAgain(ILogger logger, string directory);
}
