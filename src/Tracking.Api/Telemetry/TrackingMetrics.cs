using System.Diagnostics.Metrics;
using Tracking.Api.Delivery;

namespace Tracking.Api.Telemetry;

/// <summary>
/// The pipeline's own instruments on the <c>Tracking.Api</c> meter, next to ASP.NET Core's built-in
/// <c>http.server.*</c> ones: what was accepted and refused at the door, what the sink stored,
/// failed, recovered or dropped, how long deliveries take and how full the queue is.
/// </summary>
internal sealed class TrackingMetrics
{
    public const string MeterName = "Tracking.Api";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _recovered;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _deliveryDuration;
    private readonly Histogram<int> _batchSize;
    private readonly UpDownCounter<int> _inFlight;

    public TrackingMetrics(IMeterFactory meterFactory, IEventQueue queue)
    {
        var meter = meterFactory.Create(MeterName);
        _accepted = meter.CreateCounter<long>("tracking.events.accepted", "{event}", "Events accepted by the API, by source.");
        _rejected = meter.CreateCounter<long>("tracking.events.rejected", "{event}", "Messages refused for good (invalid or too large), by reason.");
        _sent = meter.CreateCounter<long>("tracking.delivery.sent", "{event}", "Events the sink acknowledged.");
        _failed = meter.CreateCounter<long>("tracking.delivery.failed", "{event}", "Event deliveries that failed and will be retried.");
        _recovered = meter.CreateCounter<long>("tracking.delivery.recovered", "{event}", "Events delivered after at least one failed attempt.");
        _dropped = meter.CreateCounter<long>("tracking.delivery.dropped", "{event}", "Events given up on: only when shutdown cuts off a delivery.");
        _deliveryDuration = meter.CreateHistogram<double>("tracking.delivery.duration", "s", "Time of one delivery call to the sink (one put request or file write).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _batchSize = meter.CreateHistogram<int>("tracking.delivery.batch_size", "{event}", "Events per batch handed to the sink.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 5, 10, 25, 50, 100, 250, 500] });
        _inFlight = meter.CreateUpDownCounter<int>("tracking.delivery.in_flight", "{request}", "Deliveries to the sink under way.");
        meter.CreateObservableGauge("tracking.queue.depth", () => queue.Depth, "{event}", "Events accepted and not yet acknowledged by the sink.");
        meter.CreateObservableGauge("tracking.queue.bytes", () => queue.DepthBytes, "By", "Bytes of events accepted and not yet acknowledged by the sink.");
    }

    public void Accepted(int count, string source) => _accepted.Add(count, new KeyValuePair<string, object?>("source", source));

    public void Rejected(int count, string reason) => _rejected.Add(count, new KeyValuePair<string, object?>("reason", reason));

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

    private static KeyValuePair<string, object?> Sink(string name) => new("sink", name);
}
