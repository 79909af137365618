using Tracking.Consumer;
using Tracking.Consumer.Health;
using Tracking.ServiceDefaults;
using Tracking.Consumer.Telemetry;

var builder = WebApplication.CreateBuilder(AppContentRoot.Options(args));

builder.AddServiceDefaults();
builder.AddConsumerOptions();
builder.AddWarehouse();
builder.AddShardReading();
builder.AddLeases();
builder.AddConsumerTelemetry();

var app = builder.Build();

app.MapHealthEndpoints();
app.MapOperationsEndpoints();

return await app.RunConsumerAsync();
