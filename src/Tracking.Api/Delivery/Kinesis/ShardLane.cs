using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// The records bound for one shard, sent by one loop with at most one <c>PutRecords</c> in flight, in arrival
/// order. Records a put could not write go back to the front and are sent again (after a backoff) before any
/// later record of the shard, so one partition key's events reach the shard in the order they were accepted.
/// The loop runs while the lane has records and ends when it is empty; every field but <see cref="Rate"/> is
/// guarded by <paramref name="gate"/>, the sink's lock. It sends through <paramref name="writer"/>, retries what
/// a put left unwritten with the batcher's own backoff policy (<see cref="BatchingOptions.Retries"/>), and
/// tells its owner only that it went idle. With <paramref name="maxAggregateBytes"/> set, each put's events of one
/// partition key are packed into KPL aggregated records of at most that size (<see cref="PutEntry"/>); the rate and
/// the PutRecords limits then count those records, not the events.
/// </summary>
internal sealed class ShardLane(
    string? shardId,
    ShardSendRate rate,
    ShardWriter writer,
    Lock gate,
    RetryPolicy retries,
    int? maxAggregateBytes,
    TimeProvider time,
    Action wentIdle,
    CancellationToken stopping)
{
    private readonly List<PendingRecord> _retry = [];
    private readonly Queue<PendingRecord> _waiting = new();
    private List<PendingRecord>? _sending;

    /// <summary>The shard, or null for the lane that stands for the whole stream until the shards are known.</summary>
    public string? ShardId { get; } = shardId;

    public ShardSendRate Rate { get; } = rate;

    /// <summary>True while the loop runs: records are queued or a put is in flight.</summary>
    public bool IsBusy { get; private set; }

    /// <summary>Records queued, including those waiting for another attempt.</summary>
    public int Count => _retry.Count + _waiting.Count;

    public void Add(PendingRecord record) => _waiting.Enqueue(record);

    public void StartIfIdle()
    {
        if (!IsBusy && Count > 0)
        {
            IsBusy = true;
            _ = Task.Run(RunAsync);
        }
    }

    /// <summary>Everything queued or in flight, for abandoning at disposal.</summary>
    public IEnumerable<PendingRecord> Queued => [.. _sending ?? [], .. _retry, .. _waiting];

    private async Task RunAsync()
    {
        var failures = 0;
        try
        {
            while (true)
            {
                List<PutEntry>? put;
                TimeSpan wait;
                lock (gate)
                {
                    if (Count == 0 || stopping.IsCancellationRequested)
                    {
                        IsBusy = false;
                        wentIdle();
                        return;
                    }

                    (put, wait) = TakeNext();
                }

                if (put is null)
                {
                    await Task.Delay(wait, time, stopping);
                    continue;
                }

                var outcome = await writer.PutAsync(ShardId, put, failures, stopping);
                lock (gate)
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
            lock (gate)
            {
                IsBusy = false;
            }
        }
    }

    /// <summary>The next put's records (retries first, then arrivals, within the PutRecords limits and the rate), or how long to wait.</summary>
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
