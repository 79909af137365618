using Tracking.Consumer;
using Tracking.Consumer.Health;
using Tracking.Consumer.Redrive;
using Tracking.Consumer.Regulations;
using Tracking.Consumer.Telemetry;
using Tracking.ServiceDefaults;

return await HostStart.RunAsync(
    "Tracking.Consumer",
    () =>
    {
        var builder = WebApplication.CreateBuilder(AppContentRoot.Options(args));

        builder.AddServiceDefaults();
        builder.AddConsumerOptions();
        builder.AddWarehouse();
        builder.AddShardReading();
        builder.AddLeases();
        builder.AddConsumerTelemetry();
        builder.Services.AddRedrive();
        builder.Services.AddRegulations();

        var app = builder.Build();

        app.UseServiceDefaults();
        app.UseAuthorization();
        app.MapHealthEndpoints();
        app.MapOperationsEndpoints();
        app.MapRedriveEndpoints();
        app.MapRegulationEndpoints();
        return app;
    },
    ConsumerStart.PrepareWarehouseAsync,
    ConsumerStart.PrepareLeasesAsync);
