using OpenTelemetry.Metrics;
using Tracking.Api.Admin;

namespace Tracking.Api.Telemetry;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format, behind the admin key: the <c>Tracking.Api</c> meter (the
/// Kinesis Pusher's success / failed / recovered counts and the rest) and ASP.NET Core's request and
/// connection instruments, through OpenTelemetry's Prometheus exporter.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>The meters exported, for scrapers.</summary>
    public static readonly string[] Meters = [TrackingMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>
    /// Adds the meters and the Prometheus exporter to the app's one OpenTelemetry meter provider; a provider set
    /// up elsewhere (OTLP export) composes with this, since both configure the same provider.
    /// </summary>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(Meters).AddPrometheusExporter());
        return services;
    }

    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(Path).RequireAdmin();
        return app;
    }
}
