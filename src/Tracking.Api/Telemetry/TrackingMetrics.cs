using System.Diagnostics.Metrics;
using Tracking.Api.Delivery;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Telemetry;

/// <summary>
/// The pipeline's own instruments on the <c>Tracking.Api</c> meter, next to ASP.NET Core's built-in
/// <c>http.server.*</c> ones: what was accepted and refused at the door, what the sink stored,
/// failed, recovered or dropped, how long deliveries take and how full the queue is; for the
/// stream sinks also each put request's latency, throttling and the send rate they adapt to it.
/// </summary>
internal sealed class TrackingMetrics
{
    public const string MeterName = TelemetryNames.ApiMeter;

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _suppressed;
    private readonly Counter<long> _bots;
    private readonly Counter<long> _planViolations;
    private readonly Counter<long> _clientMetrics;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _recovered;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _deliveryDuration;
    private readonly Histogram<int> _batchSize;
    private readonly UpDownCounter<int> _inFlight;
    private readonly Meter _meter;
    private readonly Counter<long> _throttled;
    private readonly Counter<long> _reordered;
    private readonly Counter<long> _connectionsRefused;
    private readonly Histogram<double> _requestDuration;
    private readonly UpDownCounter<int> _requestsInFlight;

    public TrackingMetrics(IMeterFactory meterFactory, IEventQueue queue)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _accepted = meter.CreateCounter<long>("tracking.events.accepted", "{event}", "Events accepted by the API, by source.");
        _rejected = meter.CreateCounter<long>("tracking.events.rejected", "{event}", "Messages refused for good (invalid or too large), by reason.");
        _suppressed = meter.CreateCounter<long>("tracking.events.suppressed", "{event}", "Events of a suppressed userId or anonymousId, answered 200 and not stored, by source.");
        _bots = meter.CreateCounter<long>("tracking.events.bots", "{event}", "Events whose user agent is a known crawler or monitor, by source and action (flagged: stored with context.bot; refused: answered 200, not stored).");
        _planViolations = meter.CreateCounter<long>("tracking.events.plan_violations", "{event}", "Events that broke their source's tracking plan, by source and outcome (flagged: stored with their violations; quarantined: kept out of the stream).");
        _clientMetrics = meter.CreateCounter<long>("tracking.client_metrics", "{series}", "Metric series analytics.js reported about itself to /v1/m (counted, not stored).");
        _sent = meter.CreateCounter<long>("tracking.delivery.sent", "{event}", "Events the sink acknowledged.");
        _failed = meter.CreateCounter<long>("tracking.delivery.failed", "{event}", "Event deliveries that failed and will be retried.");
        _recovered = meter.CreateCounter<long>("tracking.delivery.recovered", "{event}", "Events delivered after at least one failed attempt.");
        _dropped = meter.CreateCounter<long>("tracking.delivery.dropped", "{event}", "Events given up on: only when shutdown cuts off a delivery.");
        _deliveryDuration = meter.CreateHistogram<double>("tracking.delivery.duration", "s", "Time of one delivery call to the sink (one put request or file write).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _batchSize = meter.CreateHistogram<int>("tracking.delivery.batch_size", "{event}", "Events per batch handed to the sink.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 5, 10, 25, 50, 100, 250, 500] });
        _inFlight = meter.CreateUpDownCounter<int>("tracking.delivery.in_flight", "{request}", "Deliveries to the sink under way.");
        _throttled = meter.CreateCounter<long>("tracking.sink.throttled", "{event}", "Events a stream refused for lack of throughput (ProvisionedThroughputExceededException, ServiceUnavailableException, throttled requests).");
        _connectionsRefused = meter.CreateCounter<long>("tracking.connections.refused", "{connection}", "Connections closed as they arrived because the connection limit (Tracking:Limits:MaxConnections) was reached.");
        _reordered = meter.CreateCounter<long>("tracking.sink.reordered", "{event}", "Events written ahead of an earlier event of the same partition key that failed in the same PutRecords call and was retried.");
        _requestDuration = meter.CreateHistogram<double>("tracking.sink.request.duration", "s", "Time of one put request to the stream (PutRecords or PutRecordBatch), including the client's own retries, by outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _requestsInFlight = meter.CreateUpDownCounter<int>("tracking.sink.requests.in_flight", "{request}", "Put requests to the stream under way.");
        meter.CreateObservableGauge("tracking.queue.depth", () => queue.Depth, "{event}", "Events accepted and not yet acknowledged by the sink.");
        meter.CreateObservableGauge("tracking.queue.bytes", () => queue.DepthBytes, "By", "Bytes the queue holds for events not yet acknowledged by the sink (the spool: its files on disk).");
        meter.CreateObservableGauge("tracking.queue.oldest_age", () => queue.OldestAcceptedAt is { } at ? (DateTimeOffset.UtcNow - at).TotalSeconds : 0, "s", "Age of the oldest event accepted and not yet acknowledged by the sink.");
        if (queue.IsDurable)
        {
            meter.CreateObservableCounter("tracking.spool.corrupt_bytes", () => queue.Counters.CorruptBytes, "By", "Bytes of torn or corrupt spool frames cut off (at start-up or while reading).");
            meter.CreateObservableCounter("tracking.spool.syncs", () => queue.Counters.Syncs, "{sync}", "Times the spool synced written events to disk (Durability=Fsync).");
            meter.CreateObservableCounter("tracking.spool.synced_requests", () => queue.Counters.SyncedRequests, "{request}", "Requests made durable by those syncs; over tracking.spool.syncs, how many requests one sync carries.");
        }
    }

    public void Accepted(int count, string source) => _accepted.Add(count, new KeyValuePair<string, object?>("source", source));

    public void Rejected(int count, string reason)
    {
        if (count > 0)
        {
            _rejected.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void Suppressed(int count, string source)
    {
        if (count > 0)
        {
            _suppressed.Add(count, new KeyValuePair<string, object?>("source", source));
        }
    }

    public void Bot(string source, string action) =>
        _bots.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("action", action));

    /// <param name="source">The event's source.</param>
    /// <param name="quarantined">The plan is in Block mode: the event went to the quarantine.</param>
    public void PlanViolation(string source, bool quarantined) =>
        _planViolations.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("outcome", quarantined ? "quarantined" : "flagged"));

    public void ClientMetrics(int series) => _clientMetrics.Add(series);

    public void Sent(int count, string sink) => _sent.Add(count, Sink(sink));

    public void Failed(int count, string sink) => _failed.Add(count, Sink(sink));

    public void Recovered(int count, string sink) => _recovered.Add(count, Sink(sink));

    public void Dropped(int count, string sink) => _dropped.Add(count, Sink(sink));

    public void Delivery(TimeSpan duration, int batchSize, string sink)
    {
        _deliveryDuration.Record(duration.TotalSeconds, Sink(sink));
        _batchSize.Record(batchSize, Sink(sink));
    }

    public void InFlight(int change) => _inFlight.Add(change);

    public void Throttled(int count, string sink) => _throttled.Add(count, Sink(sink));

    public void Reordered(int count, string sink) => _reordered.Add(count, Sink(sink));

    public void ConnectionRefused() => _connectionsRefused.Add(1);

    public void Request(TimeSpan duration, string outcome, string sink) =>
        _requestDuration.Record(duration.TotalSeconds, Sink(sink), new KeyValuePair<string, object?>("outcome", outcome));

    public void RequestsInFlight(int change, string sink) => _requestsInFlight.Add(change, Sink(sink));

    /// <summary>
    /// Publishes the send-rate limits a sink adapts to throttling (records/s per shard), as the
    /// <c>tracking.sink.rate_limit</c> gauge. Call once per sink.
    /// </summary>
    public void ObserveRateLimits(Func<IEnumerable<Measurement<double>>> observe) =>
        _meter.CreateObservableGauge("tracking.sink.rate_limit", observe, "{event}/s", "Records per second a sink currently allows itself per shard; lowered when the stream throttles, raised again as puts succeed.");

    private static KeyValuePair<string, object?> Sink(string name) => new("sink", name);
}
