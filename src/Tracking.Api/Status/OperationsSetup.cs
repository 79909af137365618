using Tracking.Api.Admin;
using Tracking.Api.Debugger;
using Tracking.Api.Telemetry;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Status;

/// <summary>
/// The operations endpoints, all behind <c>Tracking:AdminKey</c> and none of them served without it:
/// <c>/metrics</c>, <c>/status</c>, <c>/status.json</c>, <c>/debugger</c> and the login form.
/// </summary>
internal static class OperationsSetup
{
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddAdmin();

        // Cheap when unused (one volatile read per request), and the ingestion handler always takes it.
        services.AddSingleton<EventTap>();
        services.AddSingleton<RefusalTap>();
        if (string.IsNullOrEmpty(builder.Configuration[$"{AdminOptions.Section}:{nameof(AdminOptions.AdminKey)}"]))
        {
            return builder;
        }

        services.AddValidatedOptions<StatusOptions>(StatusOptions.Section);
        services.AddSingleton<StatusCounters>();
        services.AddSingleton<StatusHistory>();
        services.AddHostedService(provider => provider.GetRequiredService<StatusHistory>());
        services.AddSingleton<StatusReporter>();
        services.AddHttpClient<ConsumerStatusClient>(ConsumerStatusClient.HttpClientName);
        services.AddPrometheusMetrics();
        return builder;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        if (!app.AdminEnabled())
        {
            return app;
        }

        app.MapAdminLogin();
        app.MapAdminAssets();
        app.MapMetricsEndpoint();
        app.MapStatusApi();
        app.MapDebuggerApi();
        return app;
    }
}
