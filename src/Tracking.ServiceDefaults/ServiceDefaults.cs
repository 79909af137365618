using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Tracking.ServiceDefaults;

/// <summary>
/// What both hosts (the API and the consumer) are built with before their own features: telemetry
/// (<see cref="TelemetryDefaults.AddTelemetryDefaults{TBuilder}"/>), the clock, and RFC 9457 problem details for
/// every error answer, an unhandled exception's included; how they start and how a refused start ends is
/// <see cref="HostStart"/>.
/// </summary>
public static class ServiceDefaults
{
    /// <summary>Telemetry, <see cref="TimeProvider.System"/> and problem details.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddTelemetryDefaults();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        return builder;
    }

    /// <summary>
    /// The first middleware of both hosts: an unhandled exception becomes a 500 problem document (its details in the
    /// log, never in the answer), and a bare error status (404, 405) gets a problem document too.
    /// </summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
