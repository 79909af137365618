using System.Text.Json.Serialization;
using Tracking.Events;

namespace Tracking.Api.Status;

/// <summary>What <c>/status.json</c> answers: the API's traffic, delivery, queue and sink now, the last 15 minutes, and the consumer.</summary>
/// <param name="At">When the report was made.</param>
/// <param name="UptimeSeconds">Seconds since the API started.</param>
/// <param name="Readiness">What <c>/health/ready</c> would say: Healthy or Unhealthy.</param>
/// <param name="Sink">The sink and its health.</param>
/// <param name="Checks">Each readiness check with its reason.</param>
/// <param name="Totals">Counts since the API started.</param>
/// <param name="Queue">The spool (or memory queue): what waits for the sink.</param>
/// <param name="IntervalSeconds">Seconds between two samples.</param>
/// <param name="Samples">The last 15 minutes, oldest first.</param>
/// <param name="Consumer">The consumer's lag per shard, when <c>Tracking:Status:ConsumerUrl</c> is set.</param>
/// <param name="ClientAddresses">Whose <c>X-Forwarded-For</c> is believed, and whether an untrusted peer sent one.</param>
/// <param name="TrackingPlans">Events checked against a tracking plan, per source and event name, and the quarantine's size.</param>
internal sealed record StatusReport(
    DateTimeOffset At,
    double UptimeSeconds,
    string Readiness,
    SinkView Sink,
    IReadOnlyDictionary<string, CheckView> Checks,
    StatusTotals Totals,
    QueueView Queue,
    int IntervalSeconds,
    IReadOnlyList<StatusSample> Samples,
    ConsumerView Consumer,
    ClientAddressView ClientAddresses,
    TrackingPlansView TrackingPlans);

/// <summary>What the tracking plans made of the events since start.</summary>
/// <param name="Sources">By source with a plan, then by event name (a track's event; <c>page Home</c>, <c>identify</c> for the others): passed, flagged, quarantined.</param>
/// <param name="QuarantineBytes">Bytes in this instance's quarantine (Block mode, and bots routed away) now.</param>
internal sealed record TrackingPlansView(IReadOnlyDictionary<string, Dictionary<string, TrackingPlans.PlanCountsView>> Sources, long QuarantineBytes);

/// <summary>How the client's address is found (<c>Tracking:ClientIp</c>).</summary>
/// <param name="Mode"><c>listed</c> (TrustedProxies), <c>private-networks</c> (the default) or <c>none</c>.</param>
/// <param name="TrustedProxies">The addresses and networks whose <c>X-Forwarded-For</c> is believed.</param>
/// <param name="UntrustedForwardedFrom">The first peer whose <c>X-Forwarded-For</c> was ignored, if any: a proxy missing from the list.</param>
/// <param name="UntrustedForwardedAt">When it first sent one.</param>
internal sealed record ClientAddressView(string Mode, IReadOnlyList<string> TrustedProxies, string? UntrustedForwardedFrom, DateTimeOffset? UntrustedForwardedAt);

/// <summary>The sink's health.</summary>
/// <param name="Name">File, Kinesis or Firehose.</param>
/// <param name="Healthy">False while any component talking to the sink fails.</param>
/// <param name="LastError">Every failing component's last error.</param>
/// <param name="FailingSince">When the earliest current failure began.</param>
/// <param name="OldestDeliveryAgeSeconds">How long the oldest delivery in flight has been waiting.</param>
internal sealed record SinkView(string Name, bool Healthy, string? LastError, DateTimeOffset? FailingSince, double? OldestDeliveryAgeSeconds);

/// <summary>One readiness check.</summary>
/// <param name="Status">Healthy, Degraded or Unhealthy.</param>
/// <param name="Description">Its reason.</param>
internal sealed record CheckView(string Status, string? Description);

/// <summary>What waits for the sink.</summary>
/// <param name="Kind"><c>spool</c> (on disk) or <c>memory</c>.</param>
/// <param name="Events">Events accepted and not yet delivered.</param>
/// <param name="Bytes">Bytes they take.</param>
/// <param name="CapacityEvents">The most events it holds, when it counts them.</param>
/// <param name="CapacityBytes">The most bytes it holds.</param>
/// <param name="OldestAgeSeconds">Age of the oldest waiting event.</param>
/// <param name="Full">True while the API answers 503 for lack of room.</param>
internal sealed record QueueView(string Kind, long Events, long Bytes, int? CapacityEvents, long CapacityBytes, double? OldestAgeSeconds, bool Full);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(ConsumerStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
