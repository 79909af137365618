using Microsoft.Extensions.Options;
using Tracking.Api.Telemetry;
using Tracking.Aws.Errors;
using Tracking.Aws.Firehose;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery.Firehose;

/// <summary>
/// Writes events to an Amazon Data Firehose stream with <c>PutRecordBatch</c>, one record per event ending in
/// <c>\n</c> (Firehose concatenates records as they are, and Redshift <c>COPY ... JSON</c> and Athena read the
/// S3 objects as JSON lines). A batch is split to the request limits (500 records, 4 MiB); the records
/// <c>FailedPutCount</c> names, or all of a request that failed, go back to the batcher, which resends only
/// those with backoff and reports the reason to <c>/health/ready</c>. Firehose keeps no order, so neither do
/// the retries.
/// </summary>
internal sealed class FirehoseSink(
    IFirehoseClient client,
    IOptions<FirehoseSinkOptions> options,
    TrackingMetrics metrics,
    TimeProvider time) : IEventSink
{
    private const string Permission = "firehose:PutRecordBatch";

    private readonly string _streamName = options.Value.DeliveryStreamName!;
    private readonly Uri _endpoint = client.Endpoint;

    public string Name => "Firehose";

    public string DeliveryStreamName => _streamName;

    public string? Destination => _streamName;

    public async Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
    {
        var requests = Split(batch);
        var results = requests.Count == 1
            ? [await PutAsync(batch, requests[0], cancellationToken)]
            : await Task.WhenAll(requests.Select(r => PutAsync(batch, r, cancellationToken)));

        List<EnrichedEvent>? failed = null;
        string? reason = null;
        foreach (var result in results)
        {
            if (!result.AllDelivered)
            {
                (failed ??= []).AddRange(result.Failed);
                reason ??= result.FailureReason;
            }
        }

        return failed is null ? DeliveryResult.Delivered : new DeliveryResult(failed, reason);
    }

    /// <summary>Firehose has nothing to finalize: a record is durable once PutRecordBatch says so.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Cuts a batch into runs that fit one PutRecordBatch: 500 records and 4 MiB, newlines included.</summary>
    internal static List<(int Start, int Count)> Split(IReadOnlyList<EnrichedEvent> batch)
    {
        var requests = new List<(int Start, int Count)>();
        var start = 0;
        long bytes = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var size = batch[i].SizeBytes + 1;
            var count = i - start;
            if (count > 0 && (count == FirehoseLimits.MaxRecordsPerPutRecordBatch || bytes + size > FirehoseLimits.MaxPutRecordBatchRequestBytes))
            {
                requests.Add((start, count));
                start = i;
                bytes = 0;
            }

            bytes += size;
        }

        if (batch.Count > start)
        {
            requests.Add((start, batch.Count - start));
        }

        return requests;
    }

    private async Task<DeliveryResult> PutAsync(IReadOnlyList<EnrichedEvent> batch, (int Start, int Count) range, CancellationToken cancellationToken)
    {
        // One buffer per request, each record a slice of it: the event's JSON and its newline.
        var total = 0;
        for (var i = 0; i < range.Count; i++)
        {
            total += batch[range.Start + i].SizeBytes + 1;
        }

        var buffer = new byte[total];
        var records = new FirehoseRecord[range.Count];
        var offset = 0;
        for (var i = 0; i < range.Count; i++)
        {
            var json = batch[range.Start + i].Json;
            json.CopyTo(buffer, offset);
            buffer[offset + json.Length] = (byte)'\n';
            records[i] = new FirehoseRecord { Data = buffer.AsMemory(offset, json.Length + 1) };
            offset += json.Length + 1;
        }

        var started = time.GetTimestamp();
        metrics.RequestsInFlight(1, Name);
        PutRecordBatchResponse response;
        try
        {
            response = await client.PutRecordBatchAsync(new PutRecordBatchRequest { DeliveryStreamName = _streamName, Records = records }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Any failure of this request (credential refresh included) fails only its own records: the other
            // requests of the batch may have been written, and Firehose has no messageId to deduplicate a resend.
            var throttled = ex is AwsThrottlingException;
            metrics.Request(time.GetElapsedTime(started), throttled ? "throttled" : "error", Name);
            if (throttled)
            {
                metrics.Throttled(range.Count, Name);
            }

            return new DeliveryResult(Slice(batch, range), AwsSinkSettings.Describe(ex, $"Firehose stream '{_streamName}'", _endpoint, Permission));
        }
        finally
        {
            metrics.RequestsInFlight(-1, Name);
        }

        if (response.RequestResponses.Count != range.Count)
        {
            if (response.FailedPutCount == 0)
            {
                metrics.Request(time.GetElapsedTime(started), "success", Name);
                return DeliveryResult.Delivered;
            }

            // Failures without saying which: sending all again may duplicate (the consumer dedupes) but loses nothing.
            metrics.Request(time.GetElapsedTime(started), "error", Name);
            return new DeliveryResult(Slice(batch, range), $"PutRecordBatch reported {response.FailedPutCount} failed records but listed {response.RequestResponses.Count} results for {range.Count}");
        }

        var failed = new List<EnrichedEvent>();
        var throttledRecords = 0;
        string? reason = null;
        for (var i = 0; i < range.Count; i++)
        {
            var entry = response.RequestResponses[i];
            if (!entry.Succeeded)
            {
                failed.Add(batch[range.Start + i]);
                throttledRecords += TransientErrors.IsThrottling(entry.ErrorCode) ? 1 : 0;
                reason ??= $"{entry.ErrorCode}: {entry.ErrorMessage}";
            }
        }

        if (failed.Count == 0)
        {
            metrics.Request(time.GetElapsedTime(started), "success", Name);
            return DeliveryResult.Delivered;
        }

        metrics.Request(time.GetElapsedTime(started), throttledRecords > 0 ? "throttled" : "partial", Name);
        if (throttledRecords > 0)
        {
            metrics.Throttled(throttledRecords, Name);
        }

        return new DeliveryResult(failed, $"Firehose stream '{_streamName}' refused {failed.Count} of {range.Count} records ({reason})");
    }

    private static List<EnrichedEvent> Slice(IReadOnlyList<EnrichedEvent> batch, (int Start, int Count) range)
    {
        var slice = new List<EnrichedEvent>(range.Count);
        for (var i = 0; i < range.Count; i++)
        {
            slice.Add(batch[range.Start + i]);
        }

        return slice;
    }
}
