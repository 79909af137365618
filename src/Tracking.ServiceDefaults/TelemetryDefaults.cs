using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tracking.ServiceDefaults;

/// <summary>
/// OpenTelemetry wired once for every host of the pipeline (the API and the consumer), in the manner of eShop's
/// ServiceDefaults: our meters and activity sources with ASP.NET Core's, HttpClient's and the runtime's
/// instrumentation, exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
/// <remarks>
/// <para>
/// The standard variables are the SDK's own and are honoured as it documents them: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (<c>grpc</c> by default, or <c>http/protobuf</c>), <c>OTEL_EXPORTER_OTLP_HEADERS</c>,
/// <c>OTEL_EXPORTER_OTLP_TIMEOUT</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>,
/// <c>OTEL_METRIC_EXPORT_INTERVAL</c>, <c>OTEL_BSP_SCHEDULE_DELAY</c>. They are read through configuration, so a
/// command-line <c>--OTEL_EXPORTER_OTLP_ENDPOINT=…</c> works as well as the environment. A malformed endpoint or
/// protocol stops the start with a message naming the variable (<see cref="OtlpExportOptions"/>).
/// </para>
/// <para>
/// Metrics are always collected (so an exporter added later, a Prometheus endpoint for instance, finds them), with
/// <c>services.ConfigureOpenTelemetryMeterProvider(m =&gt; …)</c> in the host's own code: this class need not change.
/// Traces and logs go through OpenTelemetry only while an OTLP endpoint is set: without one no tracer provider
/// exists, our activity sources have no listener, and the hot paths create no span and stamp no trace context
/// on events. A host adds its own tracing pieces (the consumer's Npgsql spans) with
/// <c>services.ConfigureOpenTelemetryTracerProvider(t =&gt; …)</c>, which is a no-op while tracing is off.
/// </para>
/// </remarks>
public static class TelemetryDefaults
{
    /// <summary>The setting that turns OTLP export on: the collector's base address.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The standard service-name setting; the host's application name when absent.</summary>
    public const string ServiceNameSetting = "OTEL_SERVICE_NAME";

    /// <summary>Whether <paramref name="configuration"/> names an OTLP endpoint, i.e. traces and logs are exported.</summary>
    public static bool IsOtlpEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]);
    }

    /// <summary>
    /// Adds OpenTelemetry to the host: the resource (service name and version), metrics from our meters, ASP.NET
    /// Core, HttpClient and the runtime; and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, traces from our
    /// activity sources, ASP.NET Core (health probes left out) and HttpClient, logs, and the OTLP exporter for all three.
    /// </summary>
    public static TBuilder AddTelemetryDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var exporting = IsOtlpEnabled(configuration);
        var serviceName = configuration[ServiceNameSetting] is { Length: > 0 } named ? named : builder.Environment.ApplicationName;
        var version = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

        builder.Services.AddValidatedOptions<OtlpExportOptions>()
            .Configure(o =>
            {
                o.Endpoint = configuration[OtlpEndpointSetting];
                o.Protocol = configuration[OtlpExportOptions.ProtocolSetting];
            });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: version))
            .WithMetrics(metrics => metrics
                .AddMeter([.. TelemetryNames.Meters])
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation());

        if (exporting)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource([.. TelemetryNames.ActivitySources])
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsHealthProbe(http.Request.Path))
                .AddHttpClientInstrumentation());
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            });
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    // Orchestrators probe these every few seconds; a span for each would bury the requests that matter.
    private static bool IsHealthProbe(PathString path) => path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase);
}
