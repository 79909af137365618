using Tracking.Consumer;
using Tracking.Consumer.Health;

var builder = WebApplication.CreateBuilder(args);

builder.AddConsumerOptions();
builder.AddWarehouse();
builder.AddShardReading();
builder.AddLeases();
builder.AddConsumerTelemetry();

var app = builder.Build();

app.MapHealthEndpoints();

return await app.RunConsumerAsync();
