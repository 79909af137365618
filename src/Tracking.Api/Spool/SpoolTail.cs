namespace Tracking.Api.Spool;

/// <summary>
/// The tail: while the reader has read everything committed, the writer also hands it each committed group from
/// memory, so a reader that keeps up never reads, checks and copies back what was just written. When the reader falls
/// behind (a slow sink) the tail fills to its bound and is switched off; the reader drains it, reads the files from
/// where it ends, and switches it on again once it has caught up. Guarded by <see cref="SegmentFiles.CommitGate"/>,
/// which also guards committing a group, so nothing can be committed between "caught up" and "switched on".
/// </summary>
internal sealed class SpoolTail(SegmentFiles segments, long maxBytes)
{
    private readonly Queue<Entry> _entries = new();
    private long _bytes;
    private bool _on;

    /// <summary>A committed event handed to the reader from memory, with where its frame ends in its segment.</summary>
    public readonly record struct Entry(SpoolFrame.Frame Frame, Segment Segment, long End, int Bytes);

    /// <summary>How many times the reader caught up with the writer and the tail was switched on.</summary>
    public long SwitchedOn { get; private set; }

    /// <summary>
    /// Hands a committed group to the reader while the tail is on; switches it off when the group does not fit. Under
    /// <see cref="SegmentFiles.CommitGate"/>, as the group is committed.
    /// </summary>
    /// <param name="group">The group's requests, in the order their events were framed.</param>
    /// <param name="frameEnds">Where each event's frame ends in the group's bytes.</param>
    /// <param name="segment">The segment the group was appended to.</param>
    /// <param name="start">The segment's committed length before the group.</param>
    /// <param name="position">The position of the group's first event.</param>
    /// <param name="acceptedAtTicks">When the group was accepted.</param>
    /// <param name="bytes">The group's framed bytes.</param>
    public void HandOver(List<WriteRequest> group, List<int> frameEnds, Segment segment, long start, long position, long acceptedAtTicks, int bytes)
    {
        if (!_on)
        {
            return;
        }

        if (_bytes + bytes > maxBytes)
        {
            // The reader is behind: from here on it reads the files, from where the tail ends.
            _on = false;
            return;
        }

        var i = 0;
        var previous = 0;
        foreach (var request in group)
        {
            foreach (var e in request.Events)
            {
                var end = frameEnds[i++];
                _entries.Enqueue(new Entry(new SpoolFrame.Frame(e with { Position = position++ }, acceptedAtTicks), segment, start + end, end - previous));
                previous = end;
            }
        }

        _bytes += bytes;
    }

    /// <summary>
    /// The next event handed over, if any. When there is none, <paramref name="on"/> says whether the tail is on (so
    /// nothing new is committed yet) or off and drained (so the reader reads the files from where the tail ended).
    /// </summary>
    public bool TryTake(out Entry entry, out bool on)
    {
        lock (segments.CommitGate)
        {
            if (!_entries.TryDequeue(out entry))
            {
                on = _on;
                return false;
            }

            _bytes -= entry.Bytes;
            on = true;
            return true;
        }
    }

    /// <summary>
    /// Switches the tail on when the reader, at <paramref name="readOffset"/> in <paramref name="segment"/>, has read
    /// everything committed in the write segment, so every group committed from now on is handed over in memory.
    /// </summary>
    public bool TrySwitchOn(Segment segment, long readOffset)
    {
        lock (segments.CommitGate)
        {
            if (_on || !ReferenceEquals(segment, segments.WriteSegment) || segment.Sealed || readOffset != segment.Length || _entries.Count > 0)
            {
                return false;
            }

            _on = true;
            SwitchedOn++;
            return true;
        }
    }
}
