namespace Tracking.Api.Spool;

/// <summary>
/// The figures the spool reports and limits itself by, shared by its parts: events waiting for delivery, bytes on disk
/// and reserved by writes under way, corrupt bytes cut off, the syncs and the requests they carried, and whether the
/// last write found it full. Each is read and changed atomically, without a lock.
/// </summary>
internal sealed class SpoolGauges(long maxBytes)
{
    private long _events;
    private long _diskBytes;
    private long _reservedBytes;
    private long _corruptBytes;
    private long _syncs;
    private long _syncedRequests;
    private volatile bool _full;

    /// <summary>Events written and not yet acknowledged (nor lost to damage).</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Bytes of the segment files on disk.</summary>
    public long DiskBytes => Interlocked.Read(ref _diskBytes);

    /// <summary>Bytes of corrupt or torn frames cut off since start-up (at recovery or while reading).</summary>
    public long CorruptBytes => Interlocked.Read(ref _corruptBytes);

    public long Syncs => Interlocked.Read(ref _syncs);

    public long SyncedRequests => Interlocked.Read(ref _syncedRequests);

    /// <summary>A request was refused for want of space (or a write failed) since the last acknowledgement.</summary>
    public bool Full
    {
        get => _full;
        set => _full = value;
    }

    /// <summary>
    /// Reserves room for <paramref name="bytes"/> before they are written, so that concurrent requests can never
    /// overshoot <see cref="SpoolOptions.MaxBytes"/> together; false (and <see cref="Full"/>) when they do not fit.
    /// </summary>
    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _reservedBytes, bytes) + Interlocked.Read(ref _diskBytes) > maxBytes)
        {
            Interlocked.Add(ref _reservedBytes, -bytes);
            _full = true;
            return false;
        }

        return true;
    }

    public void Unreserve(long bytes) => Interlocked.Add(ref _reservedBytes, -bytes);

    public void Written(int events, long bytes)
    {
        Interlocked.Add(ref _events, events);
        Interlocked.Add(ref _diskBytes, bytes);
    }

    public void Synced(int requests)
    {
        Interlocked.Increment(ref _syncs);
        Interlocked.Add(ref _syncedRequests, requests);
    }

    /// <summary>Events acknowledged, or lost with damaged bytes: no longer waiting.</summary>
    public void Gone(long events) => Interlocked.Add(ref _events, -events);

    /// <summary>Bytes found on disk at start-up, or of segments deleted since.</summary>
    public void OnDisk(long bytes) => Interlocked.Add(ref _diskBytes, bytes);

    public void Recovered(long events) => Interlocked.Add(ref _events, events);

    public void Corrupt(long bytes) => Interlocked.Add(ref _corruptBytes, bytes);
}
