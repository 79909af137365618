namespace Tracking.Api.Spool;

/// <summary>
/// Recovery at start-up: reads what a previous run left. Every segment's frames are checked; a torn or corrupt frame
/// and what follows it in its file are cut off and reported, later segments are kept. Segments whose events were all
/// acknowledged are deleted; the rest is delivered before anything new.
/// </summary>
internal static partial class SpoolRecovery
{
    // Twice the largest frame a length field may declare, so a frame that does not fit is torn, not just long.
    private const int WindowBytes = 2 * (SpoolFrame.HeaderBytes + SpoolFrame.MaxBodyBytes);

    /// <summary>Recovers <paramref name="directory"/>: keeps its unacknowledged segments in <paramref name="segments"/>, counts them in <paramref name="gauges"/> and starts <paramref name="acknowledgements"/> where they begin.</summary>
    public static PositionsAtStart Recover(string directory, SegmentFiles segments, SpoolAcknowledgements acknowledgements, SpoolGauges gauges, ILogger logger)
    {
        var acknowledged = acknowledgements.ReadLog();
        var files = SegmentFiles.Existing(directory);
        var window = new byte[WindowBytes];
        var next = Math.Max(1, acknowledged.Count > 0 ? acknowledged[^1].End : 1);
        long unacknowledged = 0;
        long diskBytes = 0;
        Segment? firstKept = null;
        var countedFrom = new List<(long Start, long End)>();
        var ranges = new AcknowledgedRanges(acknowledged);
        foreach (var (path, first) in files)
        {
            var (length, after, pending) = Scan(path, first, ranges, window, gauges, logger);
            next = Math.Max(next, after);
            if (pending == 0)
            {
                File.Delete(path);
                continue;
            }

            unacknowledged += pending;
            var segment = new Segment(first, path, length) { Sealed = true };
            firstKept ??= segment;
            segments.AddRecovered(segment);
            countedFrom.Add((first, after));
            diskBytes += length;
        }

        gauges.Recovered(unacknowledged);
        gauges.OnDisk(diskBytes);
        countedFrom.Add((next, long.MaxValue));
        var liveFrom = firstKept?.First ?? next;
        var start = new PositionsAtStart(next, liveFrom, countedFrom, acknowledged.Where(r => r.End > liveFrom).ToList());
        acknowledgements.StartAt(start);
        if (unacknowledged > 0)
        {
            LogRecovered(logger, unacknowledged, segments.Count, directory);
        }

        return start;
    }

    /// <summary>Checks one segment's frames; cuts the file at the first bad one. Returns its good length, the position after its last frame, and how many of its events are not acknowledged.</summary>
    private static (long Length, long Next, long Pending) Scan(string path, long first, AcknowledgedRanges acknowledged, byte[] buffer, SpoolGauges gauges, ILogger logger)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        var size = file.Length;
        long offset = 0;
        var expected = first;
        long pending = 0;
        while (offset < size)
        {
            var window = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, size - offset)), offset);
            var at = 0;
            var status = SpoolFrame.ReadStatus.Read;
            while (at < window)
            {
                status = SpoolFrame.TryRead(buffer.AsSpan(at, window - at), out var frame, out var consumed);
                if (status != SpoolFrame.ReadStatus.Read || frame.Event.Position != expected)
                {
                    status = status == SpoolFrame.ReadStatus.Read ? SpoolFrame.ReadStatus.Corrupt : status;
                    break;
                }

                if (!acknowledged.Contains(expected))
                {
                    pending++;
                }

                expected++;
                at += consumed;
            }

            var moreBeyondWindow = offset + window < size;
            offset += at;
            if (status == SpoolFrame.ReadStatus.Corrupt || (status == SpoolFrame.ReadStatus.Incomplete && !moreBeyondWindow))
            {
                var cut = size - offset;
                gauges.Corrupt(cut);
                LogCutOff(logger, path, offset, cut, status == SpoolFrame.ReadStatus.Incomplete ? "a torn last write" : "a frame that fails its length, checksum or position check");
                file.SetLength(offset);
                file.Flush(flushToDisk: true);
                break;
            }
        }

        return (offset, expected, pending);
    }

    /// <summary>Membership in merged, ordered ranges for positions asked in increasing order.</summary>
    private sealed class AcknowledgedRanges(List<(long Start, long End)> ranges)
    {
        private int _index;

        public bool Contains(long position)
        {
            while (_index < ranges.Count && ranges[_index].End <= position)
            {
                _index++;
            }

            return _index < ranges.Count && ranges[_index].Start <= position;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The spool in {Directory} holds {Events} events not yet delivered in {Segments} segments: they go to the sink before new ones")]
    private static partial void LogRecovered(ILogger logger, long events, int segments, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool segment {Path} was cut at byte {Offset}: {Bytes} bytes after it are {Reason} and cannot be read (tracking.spool.corrupt_bytes)")]
    private static partial void LogCutOff(ILogger logger, string path, long offset, long bytes, string reason);
}
