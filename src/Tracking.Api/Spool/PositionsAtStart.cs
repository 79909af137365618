namespace Tracking.Api.Spool;

/// <summary>
/// What recovery found about positions, for the parts that run after it: where new events are numbered from, where
/// the reader starts, which positions a previous run recorded acknowledged, and which positions were counted as
/// waiting (so events lost to damage later are uncounted exactly once).
/// </summary>
internal sealed class PositionsAtStart(long next, long liveFrom, List<(long Start, long End)> countedFrom, List<(long Start, long End)> acknowledgedBefore)
{
    private int _acknowledgedIndex;

    /// <summary>The position the first event written after start-up gets.</summary>
    public long Next { get; } = next;

    /// <summary>The first position that may still be delivered: the first kept segment's, or <see cref="Next"/>.</summary>
    public long LiveFrom { get; } = liveFrom;

    /// <summary>Merged ranges at or above <see cref="LiveFrom"/> that a previous run recorded acknowledged.</summary>
    public List<(long Start, long End)> AcknowledgedBefore { get; } = acknowledgedBefore;

    /// <summary>
    /// Whether a previous run recorded <paramref name="position"/> acknowledged. The reader's alone: positions must be
    /// asked in increasing order.
    /// </summary>
    public bool WasAcknowledged(long position)
    {
        while (_acknowledgedIndex < AcknowledgedBefore.Count && AcknowledgedBefore[_acknowledgedIndex].End <= position)
        {
            _acknowledgedIndex++;
        }

        return _acknowledgedIndex < AcknowledgedBefore.Count && AcknowledgedBefore[_acknowledgedIndex].Start <= position;
    }

    /// <summary>
    /// How many positions in [<paramref name="from"/>, <paramref name="to"/>) are counted as waiting: not those a
    /// previous run acknowledged, nor those missing at start-up (cut off, or in segments deleted as acknowledged).
    /// </summary>
    public long CountedBetween(long from, long to)
    {
        long counted = 0;
        foreach (var (start, end) in countedFrom)
        {
            var low = Math.Max(start, from);
            var high = Math.Min(end, to);
            if (low >= high)
            {
                continue;
            }

            counted += high - low;
            foreach (var (acknowledgedStart, acknowledgedEnd) in AcknowledgedBefore)
            {
                var overlap = Math.Min(acknowledgedEnd, high) - Math.Max(acknowledgedStart, low);
                if (overlap > 0)
                {
                    counted -= overlap;
                }
            }
        }

        return counted;
    }
}
