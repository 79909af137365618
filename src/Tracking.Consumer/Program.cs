using Tracking.Consumer;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Redrive;
using Tracking.Consumer.Regulations;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;
using Tracking.ServiceDefaults;

return await HostStart.RunAsync(
    "Tracking.Consumer",
    () =>
    {
        var builder = WebApplication.CreateBuilder(AppContentRoot.Options(args));

        builder.AddServiceDefaults();
        builder.ConfigureConsumerHost();
        builder.AddConsumerOptions();
        builder.AddWarehouse();
        builder.AddShardReading();
        builder.AddLeases();
        builder.AddConsumerTelemetry();
        builder.Services.AddConsumerHealthChecks();
        builder.Services.AddOperationsEndpoints(builder.Configuration);
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
