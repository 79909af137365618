using Tracking.Consumer;
using Tracking.Consumer.Health;
using Tracking.ServiceDefaults;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Redrive;
using Tracking.Consumer.Regulations;

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

app.MapHealthEndpoints();
app.MapOperationsEndpoints();
app.MapRedriveEndpoints();
app.MapRegulationEndpoints();

return await app.RunConsumerAsync();
