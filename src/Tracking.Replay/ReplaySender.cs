using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;

namespace Tracking.Replay;

/// <summary>
/// Puts events into the stream in <c>PutRecords</c> requests (at most 500 records and 5 MiB, and no more records or bytes
/// than a second of the rates allows), one request at a time, paced to both rates: a shard takes 1,000 records and 1 MiB
/// a second, and 2 KiB events reach the second limit at half the first. Records a put answers with a per-record error
/// (throttling, internal failure) are put again, alone, with exponential back-off; a request that fails whole after
/// the client's own retries is tried again the same way. Order within a partition key is kept except across such a
/// retry, which the consumer does not need (it deduplicates by messageId and keeps each event's own times).
/// </summary>
internal sealed class ReplaySender(IKinesisClient kinesis, ReplayOptions options, ReplaySummary summary, TimeProvider time)
{
    /// <summary>Attempts per record or request before it counts as failed: 8, after equal-jitter back-offs from 200 ms
    /// doubling to at most 10 s. The replay's Kinesis client makes one attempt per call, so this is the only layer that retries.</summary>
    internal static readonly RetryPolicy Retries = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), Jitter.Equal, MaxAttempts: 8);

    /// <summary><see cref="Retries"/>' ceiling on attempts.</summary>
    internal static int MaxAttempts => Retries.MaxAttempts!.Value;

    private readonly List<ArchivedEvent> _batch = [];
    private readonly int _maxRecords = Math.Min(KinesisLimits.MaxRecordsPerPutRecords, options.RecordsPerSecond);
    private readonly long _maxBytes = Math.Min(KinesisLimits.MaxPutRecordsRequestBytes, options.BytesPerSecond);
    private long _batchBytes;
    private long _nextSend;

    public async Task AddAsync(ArchivedEvent archived, CancellationToken cancellationToken)
    {
        var size = Size(archived);
        if (_batch.Count > 0 && (_batch.Count == _maxRecords || _batchBytes + size > _maxBytes))
        {
            await FlushAsync(cancellationToken);
        }

        _batch.Add(archived);
        _batchBytes += size;
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_batch.Count == 0)
        {
            return;
        }

        var pending = _batch.ToList();
        var bytes = _batchBytes;
        _batch.Clear();
        _batchBytes = 0;
        if (options.DryRun)
        {
            summary.Put += pending.Count;
            return;
        }

        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            await PaceAsync(pending.Count, attempt == 1 ? bytes : pending.Sum(Size), cancellationToken);
            PutRecordsResponse response;
            try
            {
                response = await kinesis.PutRecordsAsync(
                    new PutRecordsRequest
                    {
                        StreamName = options.Stream,
                        Records = pending.Select(e => new PutRecordsRequestEntry { Data = e.Json, PartitionKey = e.PartitionKey }).ToList(),
                    },
                    cancellationToken);
            }
            catch (Exception exception) when (TransientErrors.IsTransient(exception) && Retries.AllowsRetryAfter(attempt) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Retries.Delay(attempt), time, cancellationToken);
                continue;
            }

            var failed = new List<ArchivedEvent>();
            for (var i = 0; i < pending.Count; i++)
            {
                if (response.Records[i].Succeeded)
                {
                    summary.Put++;
                    summary.Retried += attempt > 1 ? 1 : 0;
                }
                else
                {
                    failed.Add(pending[i]);
                }
            }

            pending = failed;
            if (pending.Count > 0)
            {
                if (!Retries.AllowsRetryAfter(attempt))
                {
                    summary.Failed += pending.Count;
                    return;
                }

                await Task.Delay(Retries.Delay(attempt), time, cancellationToken);
            }
        }
    }

    private static long Size(ArchivedEvent archived) => archived.Json.Length + System.Text.Encoding.UTF8.GetByteCount(archived.PartitionKey);

    /// <summary>Waits until <paramref name="records"/> more records of <paramref name="bytes"/> fit in both rates; a
    /// pause (back-off, a slow read) earns no credit.</summary>
    private async Task PaceAsync(int records, long bytes, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        var oneSecond = time.TimestampFrequency;
        if (_nextSend < now)
        {
            _nextSend = now;
        }

        if (_nextSend > now)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)(_nextSend - now) / oneSecond), time, cancellationToken);
        }

        var seconds = Math.Max((double)records / options.RecordsPerSecond, (double)bytes / options.BytesPerSecond);
        _nextSend += (long)(seconds * oneSecond);
    }
}
