using Tracking.Api;
using Tracking.Api.Admin;
using Tracking.Api.Delivery;
using Tracking.Api.Documentation;
using Tracking.Api.Health;
using Tracking.Api.Ingestion;
using Tracking.Api.Limits;
using Tracking.Api.SdkSettings;
using Tracking.Api.Suppression;
using Tracking.ServiceDefaults;
using Tracking.Api.Status;
using Tracking.Api.TrackingPlans;

return await HostStart.RunAsync("Tracking.Api", () =>
{
    var builder = WebApplication.CreateBuilder(AppFolder.Options(args));

    builder.AddServiceDefaults();
    builder.AddTrackingDefaults();
    builder.AddLimits();
    builder.AddIngestion();
    builder.AddTrackingPlans();
    builder.AddSdkSettings();
    builder.AddDelivery();
    builder.AddOperations();

    var app = builder.Build();

    app.UseTrackingDefaults();
    app.UseAdmin();
    app.MapIngestionApi();
    app.MapSdkSettingsApi();
    app.MapHealthEndpoints();
    app.MapOperations();
    app.MapSuppressionApi();
    app.MapTrackingPlansApi();
    app.MapApiDocumentation();
    return app;
});

/// <summary>The API's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
