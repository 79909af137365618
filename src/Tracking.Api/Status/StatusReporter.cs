using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tracking.Api.Delivery;

namespace Tracking.Api.Status;

/// <summary>Puts together what <c>/status.json</c> answers from what the API already tracks.</summary>
internal sealed class StatusReporter(
    StatusCounters counters,
    StatusHistory history,
    IEventQueue queue,
    IEventSink sink,
    DeliveryHealth deliveryHealth,
    HealthCheckService health,
    Enrichment.ForwardedHeadersWatch forwarded,
    TrackingPlans.PlanCounters plans,
    TrackingPlans.Quarantine quarantine,
    TimeProvider time)
{
    /// <param name="consumer">A typed HTTP client, taken per request so its handler is renewed as the client factory intends.</param>
    /// <param name="cancellationToken">The request's.</param>
    public async Task<StatusReport> ReportAsync(ConsumerStatusClient consumer, CancellationToken cancellationToken)
    {
        var consumerView = consumer.FetchAsync(cancellationToken);
        var readiness = await health.CheckHealthAsync(check => check.Tags.Contains(Health.HealthEndpoints.Ready), cancellationToken);
        var now = time.GetUtcNow();
        var oldestDelivery = deliveryHealth.OldestDeliveryAge;
        return new StatusReport(
            now,
            Math.Round((now - history.StartedAt).TotalSeconds, 1),
            readiness.Status.ToString(),
            new SinkView(
                sink.Name,
                deliveryHealth.LastError is null,
                deliveryHealth.LastError,
                deliveryHealth.FailingSince,
                oldestDelivery is { } age ? Math.Round(age.TotalSeconds, 3) : null),
            readiness.Entries.ToDictionary(e => e.Key, e => new CheckView(e.Value.Status.ToString(), e.Value.Description), StringComparer.Ordinal),
            counters.Snapshot(),
            new QueueView(
                queue.Kind,
                queue.Depth,
                queue.DepthBytes,
                queue.CapacityEvents == int.MaxValue ? null : queue.CapacityEvents,
                queue.CapacityBytes,
                queue.OldestAcceptedAt is { } oldest ? Math.Round(Math.Max((now - oldest).TotalSeconds, 0), 3) : null,
                queue.IsFull),
            (int)StatusHistory.Interval.TotalSeconds,
            history.Samples(),
            await consumerView,
            new ClientAddressView(forwarded.Mode, forwarded.TrustedProxies, forwarded.FirstUntrusted?.Peer, forwarded.FirstUntrusted?.At),
            new TrackingPlansView(plans.Snapshot(), quarantine.Bytes));
    }
}
