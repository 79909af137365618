using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// The records bound for one shard, sent by one loop with at most one <c>PutRecords</c> in flight, in arrival
/// order. Records a put could not write go back to the front and are sent again (after a backoff) before any
/// later record of the shard, so one partition key's events reach the shard in the order they were accepted.
/// The loop runs while the lane has records and ends when it is empty; every field but <see cref="Rate"/> is
/// guarded by the lane's own lock. It sends through <paramref name="writer"/>, retries what a put left unwritten
/// with the batcher's own backoff policy (<see cref="BatchingOptions.Retries"/>), and tells
/// <paramref name="listener"/> only that it went idle, outside its lock. With <paramref name="maxAggregateBytes"/>
/// set, each put's events of one partition key are packed into KPL aggregated records of at most that size
/// (<see cref="PutEntry"/>); the rate and the PutRecords limits then count those records, not the events.
/// </summary>
internal sealed class ShardLane(
    string? shardId,
    ShardSendRate rate,
    ShardWriter writer,
    RetryPolicy retries,
    int? maxAggregateBytes,
    TimeProvider time,
    IShardLaneListener listener,
    CancellationToken stopping)
{
    private readonly Lock _gate = new();
    private readonly List<PendingRecord> _retry = [];
    private readonly Queue<PendingRecord> _waiting = new();
    private List<PendingRecord>? _sending;
    private bool _busy;

    /// <summary>The shard, or null for the lane that stands for the whole stream until the shards are known.</summary>
    public string? ShardId { get; } = shardId;

    public ShardSendRate Rate { get; } = rate;

    /// <summary>True while the loop runs: records are queued or a put is in flight.</summary>
    public bool IsBusy
    {
        get
        {
            lock (_gate)
            {
                return _busy;
            }
        }
    }

    /// <summary>Everything queued or in flight, for abandoning at disposal.</summary>
    public IEnumerable<PendingRecord> Queued
    {
        get
        {
            lock (_gate)
            {
                return [.. _sending ?? [], .. _retry, .. _waiting];
            }
        }
    }

    // Records queued, including those waiting for another attempt. Under the lock.
    private int Count => _retry.Count + _waiting.Count;

    /// <summary>Appends <paramref name="records"/> (all at once, so one put can carry them together) and starts the loop if it was idle.</summary>
    public void Enqueue(List<PendingRecord> records)
    {
        lock (_gate)
        {
            records.ForEach(_waiting.Enqueue);
            if (!_busy && Count > 0)
            {
                _busy = true;
                _ = Task.Run(RunAsync);
            }
        }
    }

    private async Task RunAsync()
    {
        var failures = 0;
        try
        {
            while (true)
            {
                bool idle;
                List<PutEntry>? put;
                TimeSpan wait;
                lock (_gate)
                {
                    idle = Count == 0 || stopping.IsCancellationRequested;
                    _busy = !idle;
                    (put, wait) = idle ? (null, TimeSpan.Zero) : TakeNext();
                }

                if (idle)
                {
                    // Outside the lock: the listener may look at this lane (and the others) to decide what comes next.
                    listener.LaneWentIdle();
                    return;
                }

                if (put is null)
                {
                    await Task.Delay(wait, time, stopping);
                    continue;
                }

                var outcome = await writer.PutAsync(ShardId, put, failures, stopping);
                lock (_gate)
                {
                    _sending = null;
                    _retry.InsertRange(0, outcome.Failed);
                }

                if (outcome.Failed.Count == 0)
                {
                    Rate.Succeeded();
                    failures = 0;
                    continue;
                }

                if (outcome.Throttled)
                {
                    Rate.Throttled();
                }

                failures++;
                await Task.Delay(retries.Delay(failures), time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            lock (_gate)
            {
                _busy = false;
            }
        }
    }

    /// <summary>The next put's records (retries first, then arrivals, within the PutRecords limits and the rate), or how long to wait. Under the lock.</summary>
    private (List<PutEntry>? Put, TimeSpan Wait) TakeNext()
    {
        // Packed within what the rate allows now, so the rate takes all of it or asks to wait.
        var maxEntries = Math.Clamp((int)Rate.RecordsPerSecond, 1, KinesisLimits.MaxRecordsPerPutRecords);
        var maxBytes = Math.Min(KinesisLimits.MaxPutRecordsRequestBytes, (long)Rate.BytesPerSecond);
        var (entries, taken) = PutEntry.Pack(_retry.Concat(_waiting), maxEntries, maxBytes, maxAggregateBytes);
        var (take, wait) = Rate.Take([.. entries.Select(e => e.Size)]);
        if (take == 0)
        {
            return (null, wait);
        }

        if (take < entries.Count)
        {
            // The same packing stopped at the first record that needs one entry more: a prefix, as lanes send.
            (entries, taken) = PutEntry.Pack(_retry.Concat(_waiting), take, maxBytes, maxAggregateBytes);
        }

        var records = new List<PendingRecord>(taken);
        var fromRetry = Math.Min(taken, _retry.Count);
        records.AddRange(_retry.Take(fromRetry));
        _retry.RemoveRange(0, fromRetry);
        while (records.Count < taken)
        {
            records.Add(_waiting.Dequeue());
        }

        _sending = records;
        return (entries, TimeSpan.Zero);
    }
}
