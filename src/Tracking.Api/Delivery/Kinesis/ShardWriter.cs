using Tracking.Api.Telemetry;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// The <c>PutRecords</c> step of the Kinesis sink: one put for one shard's records, the response read
/// record by record. It owns what puts report: their metrics, the <see cref="DeliveryHealth.Puts"/> health entry
/// (failing while any shard's last put failed), and the hint that the shard list is stale. Lanes call it; it
/// calls nothing of theirs, the router's or the sink's: data flows sink → router → lanes → writer.
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
        var (response, error, elapsed) = await SendAsync(records, stopping);
        var (written, throttled, reordered, reason) = Settle(shardId, records, response, error);
        var (failed, failedEntries, recovered) = TakeFailed(records, written);
        Count(elapsed, records.Count, failed.Count, failedEntries, recovered, throttled, reordered);
        var shard = shardId ?? "the stream";
        if (failed.Count == 0)
        {
            ReportWritten(shard, previousFailures);
            CompleteWritten(records, written);
            return new PutOutcome([], Throttled: false);
        }

        ReportFailed(shard, failedEntries, records.Count, reason);
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

    /// <summary>The <c>PutRecords</c> call itself: its response, or the error it failed with, and how long it took.</summary>
    private async Task<(PutRecordsResponse? Response, Exception? Error, TimeSpan Elapsed)> SendAsync(List<PutEntry> records, CancellationToken stopping)
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

        return (response, error, time.GetElapsedTime(started));
    }

    /// <summary>
    /// Reads what the put did, record by record: which records are written, how many were throttled or overtook an
    /// earlier failed record of their key, and the first reason given for a failure. Asks for the shard list again
    /// when the answer shows it is stale.
    /// </summary>
    private (bool[] Written, int Throttled, int Reordered, string? Reason) Settle(string? shardId, List<PutEntry> records, PutRecordsResponse? response, Exception? error)
    {
        var written = new bool[records.Count];
        if (error is not null)
        {
            if (error is AwsResourceNotFoundException)
            {
                refresh.Request();
            }

            return (written, error is AwsThrottlingException ? records.Count : 0, 0, AwsSinkSettings.Describe(error, $"stream '{streamName}'", endpoint, Permission));
        }

        if (response!.Records.Count != records.Count)
        {
            if (response.FailedRecordCount == 0)
            {
                Array.Fill(written, true);
                return (written, 0, 0, null);
            }

            // Failures without saying which: sending all again may duplicate (the consumer dedupes) but loses nothing.
            return (written, 0, 0, $"PutRecords reported {response.FailedRecordCount} failed records but listed {response.Records.Count} results for {records.Count}");
        }

        var throttled = 0;
        var reordered = 0;
        string? reason = null;
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

        return (written, throttled, reordered, reason);
    }

    /// <summary>
    /// The events of the records not written, each counted as failed once more, for the lane to resend; the number of
    /// such records; and how many written events had failed before.
    /// </summary>
    private static (List<PendingRecord> Failed, int FailedEntries, int Recovered) TakeFailed(List<PutEntry> records, bool[] written)
    {
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

        return (failed, failedEntries, recovered);
    }

    private void Count(TimeSpan elapsed, int entries, int failed, int failedEntries, int recovered, int throttled, int reordered)
    {
        metrics.Request(elapsed, Outcome(failedEntries, entries, throttled), Name);
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

        if (failed > 0)
        {
            metrics.Failed(failed, Name);
        }
    }

    /// <summary>Clears <paramref name="shard"/>'s failure, and the health entry with the last failing shard's.</summary>
    private void ReportWritten(string shard, int previousFailures)
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
    }

    private void ReportFailed(string shard, int failedEntries, int entries, string? reason)
    {
        lock (_failingShards)
        {
            _failingShards.Add(shard);
            status.Failed(DeliveryHealth.Puts, $"{Name} sink: {failedEntries} of {entries} records for {shard} not written: {reason}", time.GetUtcNow());
        }
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
