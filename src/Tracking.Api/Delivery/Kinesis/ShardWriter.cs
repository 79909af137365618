using Tracking.Api.Telemetry;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// The <c>PutRecords</c> step of the Kinesis sink: one put for one shard's records, the response read
/// record by record. It owns what puts report: their metrics, the <see cref="DeliveryHealth.Puts"/> health entry
/// (failing while any shard's last put failed), and the hint that the shard list is stale. Lanes call it; it
/// calls nothing of theirs or of the sink's: data flows sink → lanes → writer.
/// </summary>
internal sealed partial class ShardWriter(
    IKinesisClient client,
    string streamName,
    Uri endpoint,
    DeliveryHealth status,
    TrackingMetrics metrics,
    TimeProvider time,
    ShardRefreshSignal refresh,
    ILogger logger)
{
    private const string Name = "Kinesis";
    private const string Permission = "kinesis:PutRecords";

    // Shards (or "the stream") whose last put left records unwritten.
    private readonly HashSet<string> _failingShards = new(StringComparer.Ordinal);

    /// <summary>
    /// Sends one put of <paramref name="records"/> (each a Kinesis record: one event or an aggregate of several) for
    /// <paramref name="shardId"/> and settles them: the events of written ones complete their batches, those of the
    /// rest are returned for the lane to resend, all of an aggregate's events together. Never throws but on shutdown.
    /// </summary>
    public async Task<PutOutcome> PutAsync(string? shardId, List<PutEntry> records, int previousFailures, CancellationToken stopping)
    {
        var entries = new PutRecordsRequestEntry[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            entries[i] = new PutRecordsRequestEntry { Data = records[i].Data, PartitionKey = records[i].PartitionKey };
        }

        var request = new PutRecordsRequest { StreamName = streamName, Records = entries };
        var started = time.GetTimestamp();
        PutRecordsResponse? response = null;
        Exception? error = null;
        metrics.RequestsInFlight(1, Name);
        try
        {
            response = await client.PutRecordsAsync(request, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            metrics.RequestsInFlight(-1, Name);
        }

        var elapsed = time.GetElapsedTime(started);
        var written = new bool[records.Count];
        var throttled = 0;
        var reordered = 0;
        string? reason = null;
        if (error is not null)
        {
            throttled = error is AwsThrottlingException ? records.Count : 0;
            reason = AwsSinkSettings.Describe(error, $"stream '{streamName}'", endpoint, Permission);
            if (error is AwsResourceNotFoundException)
            {
                refresh.Request();
            }
        }
        else if (response!.Records.Count != records.Count)
        {
            if (response.FailedRecordCount == 0)
            {
                Array.Fill(written, true);
            }
            else
            {
                // Failures without saying which: sending all again may duplicate (the consumer dedupes) but loses nothing.
                reason = $"PutRecords reported {response.FailedRecordCount} failed records but listed {response.Records.Count} results for {records.Count}";
            }
        }
        else
        {
            HashSet<string>? failedKeys = null;
            for (var i = 0; i < records.Count; i++)
            {
                var result = response.Records[i];
                var key = records[i].PartitionKey;
                if (!result.Succeeded)
                {
                    (failedKeys ??= new(StringComparer.Ordinal)).Add(key);
                    throttled += TransientErrors.IsThrottling(result.ErrorCode) ? 1 : 0;
                    reason ??= $"{result.ErrorCode}: {result.ErrorMessage}";
                    continue;
                }

                written[i] = true;
                reordered += failedKeys?.Contains(key) == true ? 1 : 0;
                if (shardId is not null && result.ShardId is not null && result.ShardId != shardId)
                {
                    // The stream put the key elsewhere than the map says: it was resharded since the last listing.
                    refresh.Request();
                }
            }
        }

        var failed = new List<PendingRecord>();
        var failedEntries = 0;
        var recovered = 0;
        for (var i = 0; i < records.Count; i++)
        {
            failedEntries += written[i] ? 0 : 1;
            foreach (var record in records[i].Records)
            {
                if (!written[i])
                {
                    record.FailedAttempts++;
                    failed.Add(record);
                    continue;
                }

                recovered += record.FailedAttempts > 0 ? 1 : 0;
            }
        }

        metrics.Request(elapsed, Outcome(failedEntries, records.Count, throttled), Name);
        if (recovered > 0)
        {
            metrics.Recovered(recovered, Name);
        }

        if (throttled > 0)
        {
            metrics.Throttled(throttled, Name);
        }

        if (reordered > 0)
        {
            metrics.Reordered(reordered, Name);
        }

        var shard = shardId ?? "the stream";
        if (failed.Count == 0)
        {
            lock (_failingShards)
            {
                if (_failingShards.Remove(shard))
                {
                    if (_failingShards.Count == 0)
                    {
                        status.Succeeded(DeliveryHealth.Puts);
                    }

                    LogShardRecovered(logger, shard, previousFailures + 1);
                }
            }

            CompleteWritten(records, written);
            return new PutOutcome([], Throttled: false);
        }

        metrics.Failed(failed.Count, Name);
        lock (_failingShards)
        {
            _failingShards.Add(shard);
            status.Failed(DeliveryHealth.Puts, $"{Name} sink: {failedEntries} of {records.Count} records for {shard} not written: {reason}", time.GetUtcNow());
        }

        CompleteWritten(records, written);

        if (previousFailures == 0)
        {
            LogPutFailed(logger, error, failedEntries, records.Count, shard, reason!);
        }
        else
        {
            LogPutStillFailing(logger, failedEntries, records.Count, shard, previousFailures + 1, reason!);
        }

        return new PutOutcome(failed, throttled > 0);
    }

    /// <summary>
    /// Completes the batches of the written records, after the status is settled: whoever sees their
    /// delivery done (the batcher, readiness) then also sees the status that put left behind.
    /// </summary>
    private static void CompleteWritten(List<PutEntry> records, bool[] written)
    {
        for (var i = 0; i < records.Count; i++)
        {
            if (written[i])
            {
                records[i].Records.ForEach(r => r.Batch.RecordWritten());
            }
        }
    }

    private static string Outcome(int failed, int total, int throttled) =>
        failed == 0 ? "success" : throttled > 0 ? "throttled" : failed < total ? "partial" : "error";

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Failed} of {Count} records for {Shard} were not written: {Reason}; retrying them before later records of the shard")]
    private static partial void LogPutFailed(ILogger logger, Exception? exception, int failed, int count, string shard, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Failed} of {Count} records for {Shard} were not written (failure {Failures} in a row): {Reason}")]
    private static partial void LogPutStillFailing(ILogger logger, int failed, int count, string shard, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Records for {Shard} are being written again after {Failures} failed puts")]
    private static partial void LogShardRecovered(ILogger logger, string shard, int failures);
}
