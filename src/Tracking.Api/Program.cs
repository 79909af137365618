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

try
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

    // Settings are checked before anything starts, so a refusal is reported alone (the host would log it as a failed start too).
    app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
    app.Start();
    app.WaitForShutdown();
    return 0;
}
catch (Exception ex) when (StartupFailure.IsRefusal(ex))
{
    return StartupFailure.Report(ex);
}

/// <summary>The API's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
