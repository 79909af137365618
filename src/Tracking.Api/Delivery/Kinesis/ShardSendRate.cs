namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// How fast one shard's lane may send, adapted to throttling (additive increase, multiplicative decrease):
/// a token bucket for records and one for bytes, both filled at the current rate and holding at most one
/// second of it. The rates start at the configured shard quota, halve each time the stream throttles (and
/// the buckets are emptied: the stream has just said they were overdrawn), never below 1% of the quota, and
/// climb back linearly with time while puts go through: 20% of the quota per second since the last change, so
/// from the floor to the quota in about five seconds of success. Not thread-safe: one lane's loop owns it.
/// </summary>
internal sealed class ShardSendRate
{
    public const double DecreaseFactor = 0.5;
    public const double IncreasePerSecond = 0.2;
    public const double FloorShare = 0.01;

    private readonly TimeProvider _time;
    private readonly double _maxRecords;
    private readonly double _maxBytes;
    private readonly double _minRecords;
    private readonly double _minBytes;
    private double _records;
    private double _bytes;
    private double _recordTokens;
    private double _byteTokens;
    private long _refilledAt;
    private long _adjustedAt;

    public ShardSendRate(double maxRecordsPerSecond, double maxBytesPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecordsPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytesPerSecond, 1);
        _time = time;
        _maxRecords = _records = _recordTokens = maxRecordsPerSecond;
        _maxBytes = _bytes = _byteTokens = maxBytesPerSecond;
        _minRecords = Math.Max(1, maxRecordsPerSecond * FloorShare);
        _minBytes = Math.Max(1, maxBytesPerSecond * FloorShare);
        _refilledAt = _adjustedAt = time.GetTimestamp();
    }

    /// <summary>The records per second currently allowed.</summary>
    public double RecordsPerSecond => Volatile.Read(ref _records);

    /// <summary>The bytes per second currently allowed.</summary>
    public double BytesPerSecond => Volatile.Read(ref _bytes);

    /// <summary>
    /// Given the sizes of the records that could go in the next put (in order), says how many of the first ones
    /// go now (and spends their tokens), or, when none may, how long to wait before asking again.
    /// </summary>
    /// <remarks>
    /// It waits for enough tokens for all of them, or one second's worth when they are more: at a low rate a
    /// lane then sends one well-filled put a second instead of a trickle of single-record puts. A record larger
    /// than a second's bytes goes alone once the byte bucket is full, and its overdraft is repaid by waiting.
    /// </remarks>
    public (int Count, TimeSpan Wait) Take(ReadOnlySpan<int> sizes)
    {
        if (sizes.IsEmpty)
        {
            return (0, TimeSpan.Zero);
        }

        Refill();
        var count = Math.Min(sizes.Length, Math.Max(1, (int)_records));
        long bytes = 0;
        for (var i = 0; i < count; i++)
        {
            bytes += sizes[i];
        }

        while (count > 1 && bytes > _bytes)
        {
            count--;
            bytes -= sizes[count];
        }

        var needBytes = Math.Min(bytes, _bytes);
        var waitSeconds = Math.Max((count - _recordTokens) / _records, (needBytes - _byteTokens) / _bytes);
        if (waitSeconds > 0)
        {
            // Rounded up to whole milliseconds so a waiter never wakes a hair early and waits again.
            return (0, TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(waitSeconds * 1000))));
        }

        _recordTokens -= count;
        _byteTokens -= bytes;
        return (count, TimeSpan.Zero);
    }

    /// <summary>The stream refused records for lack of throughput: halve both rates and empty the buckets.</summary>
    public void Throttled()
    {
        Refill();
        _adjustedAt = _refilledAt;
        Volatile.Write(ref _records, Math.Max(_minRecords, _records * DecreaseFactor));
        Volatile.Write(ref _bytes, Math.Max(_minBytes, _bytes * DecreaseFactor));
        _recordTokens = Math.Min(_recordTokens, 0);
        _byteTokens = Math.Min(_byteTokens, 0);
    }

    /// <summary>A put went through without throttling: raise both rates by the time since the last change.</summary>
    public void Succeeded()
    {
        Refill();
        var seconds = _time.GetElapsedTime(_adjustedAt, _refilledAt).TotalSeconds;
        _adjustedAt = _refilledAt;
        Volatile.Write(ref _records, Math.Min(_maxRecords, _records + _maxRecords * IncreasePerSecond * seconds));
        Volatile.Write(ref _bytes, Math.Min(_maxBytes, _bytes + _maxBytes * IncreasePerSecond * seconds));
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_refilledAt, now).TotalSeconds;
        _refilledAt = now;
        if (elapsed > 0)
        {
            _recordTokens = Math.Min(_records, _recordTokens + elapsed * _records);
            _byteTokens = Math.Min(_bytes, _byteTokens + elapsed * _bytes);
        }
    }
}
