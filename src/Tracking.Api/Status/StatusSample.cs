namespace Tracking.Api.Status;

/// <summary>One point of the charts: per-second rates over the interval that ends at <see cref="At"/>, and the queue then.</summary>
/// <param name="At">When the sample was taken.</param>
/// <param name="InPerSecond">Messages that arrived (accepted and rejected) per second.</param>
/// <param name="AcceptedPerSecond">Events accepted per second.</param>
/// <param name="RejectedPerSecond">Messages rejected for good (invalid, too large) per second.</param>
/// <param name="RefusedPerSecond">Ingestion requests answered 4xx or 5xx per second.</param>
/// <param name="DeliveredPerSecond">Events the sink acknowledged per second.</param>
/// <param name="FailedPerSecond">Event deliveries that failed (and will be retried) per second.</param>
/// <param name="RecoveredPerSecond">Events delivered after a failed attempt per second.</param>
/// <param name="QueueDepth">Events accepted and not yet delivered.</param>
/// <param name="OldestAgeSeconds">Age of the oldest of them.</param>
internal sealed record StatusSample(
    DateTimeOffset At,
    double InPerSecond,
    double AcceptedPerSecond,
    double RejectedPerSecond,
    double RefusedPerSecond,
    double DeliveredPerSecond,
    double FailedPerSecond,
    double RecoveredPerSecond,
    long QueueDepth,
    double OldestAgeSeconds);
