using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Tracking.Api.Telemetry;
using Tracking.Aws.Kinesis;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// Writes events to a Kinesis Data Stream with <c>PutRecords</c>, keeping each partition key's events in the
/// order they were accepted.
/// </summary>
/// <remarks>
/// <para>
/// Ordering. The batcher calls <see cref="DeliverAsync"/> in queue order with several batches in flight, and
/// would resend a failed record after later batches went through, so this sink does not hand failures back:
/// it routes each record, in call order, to the lane of the shard its key hashes to (<see cref="ShardMap"/>),
/// and each lane keeps one put in flight and resends what failed before anything newer. Shards are written
/// in parallel; a batch completes when all of its records are in the stream. While the stream fails, batches
/// stay pending, the batcher's in-flight limit stops it from taking more, the queue fills and the API answers
/// 503: nothing is dropped, and the lanes resume by themselves.
/// </para>
/// <para>
/// The one order PutRecords itself can break: a request can fail for record 2 and succeed for record 3, and
/// record 3 is already in the stream when 2 is sent again. Such records are counted as
/// <c>tracking.sink.reordered</c>; consumers that need strict order sort one key's events by <c>timestamp</c>.
/// </para>
/// <para>
/// Resharding. When the monitor brings a new shard list, records already queued stay in their lanes (Kinesis
/// routes them by key, whatever the lane) and new batches wait until those lanes are empty, so no key is ever
/// in two lanes at once; <see cref="ShardRouter"/> owns the map and the lanes. Failures and recoveries are reported
/// through <see cref="DeliveryHealth"/>, which <c>/health/ready</c> reads, and the failed/recovered counters; the
/// batcher counts what was sent.
/// </para>
/// </remarks>
internal sealed class KinesisSink : IEventSink, IShardRouting, IAsyncDisposable
{
    private readonly KinesisSinkOptions _options;
    private readonly ShardRefreshSignal _refresh = new();
    private readonly ShardRouter _router;

    public KinesisSink(
        IKinesisClient client,
        IOptions<KinesisSinkOptions> options,
        IOptions<BatchingOptions> batching,
        DeliveryHealth status,
        TrackingMetrics metrics,
        TimeProvider time,
        ILogger<KinesisSink> logger)
    {
        _options = options.Value;
        var writer = new ShardWriter(client, _options.StreamName!, client.Endpoint, status, metrics, time, _refresh, logger);
        _router = new ShardRouter(writer, _options, batching.Value.Retries(), time, logger);
        metrics.ObserveRateLimits(ObserveRates);
    }

    public string Name => "Kinesis";

    public string StreamName => _options.StreamName!;

    public string? Destination => StreamName;

    /// <summary>Cancelled at disposal; captured once so lanes can still read it after the source is disposed.</summary>
    internal CancellationToken Stopping => _router.Stopping;

    /// <summary>Completes when a lane saw a sign that the shard list is stale; the monitor then reads it again.</summary>
    public Task RefreshRequested => _refresh.Requested;

    /// <summary>The shards records are routed to now, for tests and logs.</summary>
    internal ShardMap Map => _router.Map;

    public async Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return DeliveryResult.Delivered;
        }

        var pending = new PendingBatch(batch.Count);
        var records = new List<PendingRecord>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            records.Add(new PendingRecord(batch[i], pending));
        }

        // Routed before the first await, so records enter their lanes in the order the batcher called.
        ObjectDisposedException.ThrowIf(!_router.TryRoute(records), this);
        await pending.Completion.WaitAsync(cancellationToken);
        return DeliveryResult.Delivered;
    }

    /// <summary>Kinesis has nothing to finalize: a record is durable once PutRecords says so.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Switches to the stream's current open shards (a no-op when they are the ones in use).</summary>
    public void UseShards(ShardMap map) => _router.UseShards(map);

    /// <summary>Asks the monitor to read the shard list again soon.</summary>
    public void RequestRefresh() => _refresh.Request();

    /// <summary>Called by the monitor before it reads the shard list, so requests made meanwhile count.</summary>
    public void ResetRefreshRequest() => _refresh.Reset();

    public ValueTask DisposeAsync() => _router.DisposeAsync();

    private IEnumerable<Measurement<double>> ObserveRates()
    {
        foreach (var lane in _router.Lanes)
        {
            yield return new Measurement<double>(lane.Rate.RecordsPerSecond, new KeyValuePair<string, object?>("sink", Name), new KeyValuePair<string, object?>("shard", lane.ShardId ?? "unknown"));
        }
    }
}
