using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tracking.Consumer.Telemetry;

namespace Tracking.Consumer;

/// <summary>Registers the consumer's own telemetry on the providers <c>AddServiceDefaults</c> set up.</summary>
internal static class TelemetrySetup
{
    /// <summary>The <c>Tracking.Consumer</c> meter, and Npgsql's spans and metrics.</summary>
    public static WebApplicationBuilder AddConsumerTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ConsumerMetrics>();

        // Npgsql's command spans sit under the load span (the COPY, the insert, the checkpoint); a no-op while tracing is off.
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNpgsql());
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddNpgsqlInstrumentation());
        return builder;
    }
}
