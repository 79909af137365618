using Tracking.Consumer;
using Tracking.Consumer.Health;
using Tracking.ServiceDefaults;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Redrive;

var builder = WebApplication.CreateBuilder(AppContentRoot.Options(args));

builder.AddServiceDefaults();
builder.AddConsumerOptions();
builder.AddWarehouse();
builder.AddShardReading();
builder.AddLeases();
builder.AddConsumerTelemetry();
builder.Services.AddRedrive();

var app = builder.Build();

app.MapHealthEndpoints();
app.MapOperationsEndpoints();
app.MapRedriveEndpoints();

return await app.RunConsumerAsync();
