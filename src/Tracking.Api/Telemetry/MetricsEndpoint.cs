using OpenTelemetry.Metrics;
using Tracking.Api.Admin;

using Tracking.ServiceDefaults;

namespace Tracking.Api.Telemetry;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format, behind the admin key: the <c>Tracking.Api</c> meter (the
/// Kinesis Pusher's success / failed / recovered counts and the rest) and ASP.NET Core's request and
/// connection instruments, through OpenTelemetry's Prometheus exporter.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>
    /// Adds the Prometheus exporter to the app's one OpenTelemetry meter provider, whose meters (ours and ASP.NET
    /// Core's) <c>AddServiceDefaults</c> already added; an OTLP exporter on the same provider composes with it.
    /// </summary>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter());
        return services;
    }

    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(Path).RequireAdmin();
        return app;
    }
}
