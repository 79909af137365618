using Tracking.Api;
using Tracking.Api.Delivery;
using Tracking.Api.Documentation;
using Tracking.Api.Health;
using Tracking.Api.Ingestion;

var builder = WebApplication.CreateBuilder(args);

builder.AddTrackingDefaults();
builder.AddIngestion();
builder.AddDelivery();

var app = builder.Build();

app.UseTrackingDefaults();
app.MapIngestionApi();
app.MapHealthEndpoints();
app.MapApiDocumentation();

app.Run();

/// <summary>The API's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
