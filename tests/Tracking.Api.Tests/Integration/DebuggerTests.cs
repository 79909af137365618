using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>/debugger/events streams accepted events, enriched, as server-sent events to the admin.</summary>
public class DebuggerTests
{
    [Fact]
    public async Task AnEventAcceptedWhileTheDebuggerIsConnectedArrivesOnTheStreamEnriched()
    {
        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey());
        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsAccessTests.AdminKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/debugger/events");
        using var response = await admin.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal("event: connected", await reader.ReadLineAsync(timeout.Token));

        using var writer = api.CreateAuthenticatedClient();
        using var accepted = await writer.PostAsync("/v1/track", Http.Json("""{"userId":"debug-user","event":"Debugged","messageId":"debug-1"}"""));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);

        string? line;
        JsonObject? seen = null;
        var lastEvent = "";
        while (seen is null && (line = await reader.ReadLineAsync(timeout.Token)) is not null)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                lastEvent = line["event: ".Length..];
            }
            else if (lastEvent == "event" && line.StartsWith("data: ", StringComparison.Ordinal))
            {
                seen = JsonNode.Parse(line["data: ".Length..])!.AsObject();
            }
        }

        Assert.NotNull(seen);
        Assert.Equal("debug-1", seen["messageId"]!.GetValue<string>());
        Assert.Equal("Debugged", seen["event"]!.GetValue<string>());
        Assert.Equal(TrackingApiFactory.SourceName, seen["source"]!.GetValue<string>());
        Assert.NotNull(seen["receivedAt"]);
    }

    [Fact]
    public async Task AnOpenDebuggerStreamEndsWhenTheApiStopsInsteadOfHoldingTheShutdown()
    {
        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey(("shutdownTimeoutSeconds", "120")));
        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsAccessTests.AdminKey);
        using var response = await admin.GetAsync("/debugger/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal("event: connected", await reader.ReadLineAsync(timeout.Token));

        api.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // The stream reaches its end (the server closed it) well before the 120 s the host would otherwise wait for it.
        await reader.ReadToEndAsync(timeout.Token);
    }
}
