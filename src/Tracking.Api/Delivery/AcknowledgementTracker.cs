namespace Tracking.Api.Delivery;

/// <summary>
/// Which events read from a queue the sinks have acknowledged. Events are read in position order
/// and acknowledged in any order (batches finish out of order, partial failures are retried); the
/// tracker keeps the oldest unacknowledged one and the watermark below which everything read is
/// acknowledged, in constant time per event. Not thread-safe: callers lock.
/// </summary>
internal sealed class AcknowledgementTracker
{
    private readonly Queue<(long Position, long AcceptedAtTicks)> _outstanding = new();
    private readonly HashSet<long> _acknowledged = [];
    // The position after the last one the reader read or skipped.
    private long _readThrough;

    /// <summary>Every event read at a position below this has been acknowledged.</summary>
    public long Watermark { get; private set; }

    /// <summary>Events read and not yet acknowledged.</summary>
    public int Outstanding => _outstanding.Count - _acknowledged.Count;

    /// <summary>When the oldest event read and not yet acknowledged was accepted; null when none is outstanding.</summary>
    public DateTimeOffset? OldestAcceptedAt => _outstanding.TryPeek(out var head) ? new DateTimeOffset(head.AcceptedAtTicks, TimeSpan.Zero) : null;

    /// <summary>Positions acknowledged above the watermark (out of order), waiting for the ones below them.</summary>
    public IReadOnlyCollection<long> AcknowledgedAboveWatermark => _acknowledged;

    /// <summary>Starts counting at <paramref name="position"/> (what a restart found acknowledged already lies below it).</summary>
    public void StartAt(long position) => Watermark = position;

    public void Read(long position, long acceptedAtTicks)
    {
        if (_outstanding.Count == 0)
        {
            Watermark = position;
        }

        _outstanding.Enqueue((position, acceptedAtTicks));
        _readThrough = position + 1;
    }

    /// <summary>
    /// Notes that the reader passed <paramref name="position"/> without handing it out (acknowledged in an earlier run):
    /// once nothing read before it is outstanding, the watermark moves past it, so the segment holding it can go.
    /// </summary>
    public void Skipped(long position)
    {
        _readThrough = position + 1;
        if (_outstanding.Count == 0)
        {
            Watermark = Math.Max(Watermark, _readThrough);
        }
    }

    /// <summary>Marks <paramref name="position"/> acknowledged; false when it was not outstanding (acknowledged twice).</summary>
    public bool Acknowledge(long position)
    {
        if (position < Watermark || !_acknowledged.Add(position))
        {
            return false;
        }

        var advanced = false;
        while (_outstanding.TryPeek(out var head) && _acknowledged.Remove(head.Position))
        {
            _outstanding.Dequeue();
            Watermark = head.Position + 1;
            advanced = true;
        }

        // Positions never read (skipped: acknowledged in an earlier run, or cut off as corrupt) lie below the next outstanding
        // one, or, when none is, below where the reader has got to.
        if (advanced)
        {
            Watermark = _outstanding.TryPeek(out var next) ? next.Position : Math.Max(Watermark, _readThrough);
        }

        return true;
    }
}
