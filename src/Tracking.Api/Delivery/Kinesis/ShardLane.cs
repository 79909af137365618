using Tracking.Aws.Kinesis;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// The records bound for one shard, sent by one loop with at most one <c>PutRecords</c> in flight, in arrival
/// order. Records a put could not write go back to the front and are sent again (after a backoff) before any
/// later record of the shard, so one partition key's events reach the shard in the order they were accepted.
/// The loop runs while the lane has records and ends when it is empty; every field but <see cref="Rate"/> is
/// guarded by <paramref name="gate"/>, the sink's lock. It sends through <paramref name="writer"/>, retries what
/// a put left unwritten with the batcher's own backoff policy (<see cref="BatchingOptions.RetryDelay"/>), and
/// tells its owner only that it went idle.
/// </summary>
internal sealed class ShardLane(
    string? shardId,
    ShardSendRate rate,
    ShardWriter writer,
    Lock gate,
    BatchingOptions retries,
    TimeProvider time,
    Action wentIdle,
    CancellationToken stopping)
{
    private readonly List<PendingRecord> _retry = [];
    private readonly Queue<PendingRecord> _waiting = new();
    private readonly int[] _sizes = new int[KinesisLimits.MaxRecordsPerPutRecords];
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
                List<PendingRecord>? put;
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
                await Task.Delay(retries.RetryDelay(failures), time, stopping);
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
    private (List<PendingRecord>? Put, TimeSpan Wait) TakeNext()
    {
        var count = 0;
        long bytes = 0;
        foreach (var record in _retry.Concat(_waiting))
        {
            if (count == _sizes.Length || (count > 0 && bytes + record.Size > KinesisLimits.MaxPutRecordsRequestBytes))
            {
                break;
            }

            _sizes[count++] = record.Size;
            bytes += record.Size;
        }

        var (take, wait) = Rate.Take(_sizes.AsSpan(0, count));
        if (take == 0)
        {
            return (null, wait);
        }

        var put = new List<PendingRecord>(take);
        var fromRetry = Math.Min(take, _retry.Count);
        put.AddRange(_retry.Take(fromRetry));
        _retry.RemoveRange(0, fromRetry);
        while (put.Count < take)
        {
            put.Add(_waiting.Dequeue());
        }

        _sending = put;
        return (put, TimeSpan.Zero);
    }
}
