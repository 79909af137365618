using System.Text.Json.Nodes;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// openapi/tracking-api.json is what the running app serves. When an endpoint changes, regenerate it with
/// <c>UPDATE_OPENAPI=1 dotnet test tests/Tracking.Api.Tests --filter OpenApiDocument</c> and commit the file.
/// </summary>
public class OpenApiDocumentTests
{
    private static string CheckedInPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "TrackingApi.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("TrackingApi.sln not found above the test binaries."), "openapi", "tracking-api.json");
    }

    [Fact]
    public async Task TheCheckedInOpenApiDocumentMatchesWhatTheApiServes()
    {
        // With an admin key, so the operations endpoints it documents are served too.
        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey());
        using var client = api.CreateClient();
        var served = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;
        var path = CheckedInPath();

        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, served.ToJsonString(new() { WriteIndented = true }) + "\n");
        }

        Assert.True(File.Exists(path), $"{path} is missing; create it with UPDATE_OPENAPI=1.");
        var checkedIn = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        Assert.True(JsonNode.DeepEquals(checkedIn, served),
            "openapi/tracking-api.json differs from the served document; regenerate it with UPDATE_OPENAPI=1 dotnet test tests/Tracking.Api.Tests --filter OpenApiDocument");
    }

    [Fact]
    public async Task TheOperationsEndpointsAreDocumentedWithTheAdminKeyAndThePagesAreNot()
    {
        var document = JsonNode.Parse(await File.ReadAllTextAsync(CheckedInPath()))!;
        foreach (var path in new[] { "/metrics", "/status.json", "/debugger/events" })
        {
            var security = document["paths"]![path]!["get"]!["security"]!.AsArray();
            Assert.NotNull(Assert.Single(security)!["adminKey"]);
        }

        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["adminKey"]!["scheme"]!.GetValue<string>());
        foreach (var page in new[] { "/status", "/debugger", "/admin/login", "/admin/logout" })
        {
            Assert.Null(document["paths"]![page]);
        }
    }

    [Fact]
    public async Task EveryEndpointIsDocumentedWithAnExampleBody()
    {
        var document = JsonNode.Parse(await File.ReadAllTextAsync(CheckedInPath()))!;

        string[] paths = ["/v1/track", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/v1/batch", "/v1/import"];
        foreach (var path in paths)
        {
            var body = document["paths"]![path]!["post"]!["requestBody"]!["content"]!;
            Assert.NotNull(body["application/json"]!["example"]);
            Assert.NotNull(body["text/plain"]!["example"]);
        }
    }
}
