namespace Tracking.Api.Ingestion;

/// <summary>The answer to <c>/v1/m</c>.</summary>
/// <param name="Success">Always true in a 200 answer.</param>
/// <param name="Series">Metric series counted from the report.</param>
public sealed record ClientMetricsResponse(bool Success, int Series);
