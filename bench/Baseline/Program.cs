using System.Text.Json;

// The floor the API is compared with: same server, same body, parsed and answered, nothing else.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

app.MapGet("/", () => Results.Ok());

app.MapPost("/parse", async (HttpRequest request) =>
{
    using var document = await JsonDocument.ParseAsync(request.Body);
    return document.RootElement.ValueKind == JsonValueKind.Object ? Results.Ok() : Results.BadRequest();
});

app.Run();
