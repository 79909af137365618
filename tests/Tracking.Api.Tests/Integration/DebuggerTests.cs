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

    [Fact]
    public async Task RefusedSingleMessagesAndRefusedBatchItemsArriveOnTheStreamWithStatusAndReasonButNeverTheWriteKey()
    {
        const string BeaconKey = "beacon-secret-write-key";
        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey(($"Tracking:WriteKeys:{BeaconKey}", "beacon-source")));
        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsAccessTests.AdminKey);
        using var response = await admin.GetAsync("/debugger/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal("event: connected", await reader.ReadLineAsync(timeout.Token));

        using var writer = api.CreateAuthenticatedClient();
        using var stranger = api.CreateClient();
        stranger.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("not-a-key:"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, (await writer.PostAsync("/v1/track", Http.Json("""{"userId":"u-1","messageId":"no-event"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.PostAsync("/v1/track", Http.Json("""{"userId":"u-2","event":"E","messageId":"bad-key"}"""))).StatusCode);
        using var batch = await api.CreateClient().PostAsync("/v1/batch", Http.Json(
            $$"""{"writeKey":"{{BeaconKey}}","batch":[{"type":"track","userId":"u-3","event":"Fine","messageId":"fine"},{"type":"track","userId":"u-3","messageId":"item-without-event"}]}""", "text/plain"));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);

        var seen = new List<(string Name, JsonObject Data, string Raw)>();
        var lastEvent = "";
        while (seen.Count(e => e.Name == "refused") < 3 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                lastEvent = line["event: ".Length..];
            }
            else if (lastEvent is "event" or "refused" && line.StartsWith("data: ", StringComparison.Ordinal))
            {
                seen.Add((lastEvent, JsonNode.Parse(line["data: ".Length..])!.AsObject(), line));
            }
        }

        var refused = seen.Where(e => e.Name == "refused").Select(e => e.Data).ToList();
        var invalid = Assert.Single(refused, r => r["messageId"]?.GetValue<string>() == "no-event");
        Assert.True(invalid["refused"]!.GetValue<bool>());
        Assert.Equal(400, invalid["status"]!.GetValue<int>());
        Assert.Equal("Invalid message", invalid["title"]!.GetValue<string>());
        Assert.NotNull(invalid["errors"]!["event"]);
        Assert.Equal("/v1/track", invalid["path"]!.GetValue<string>());
        Assert.Equal(TrackingApiFactory.SourceName, invalid["source"]!.GetValue<string>());

        var unknownKey = Assert.Single(refused, r => r["status"]!.GetValue<int>() == 401);
        Assert.Equal("Unknown write key", unknownKey["title"]!.GetValue<string>());
        Assert.Null(unknownKey["source"]);

        var item = Assert.Single(refused, r => r["messageId"]?.GetValue<string>() == "item-without-event");
        Assert.Equal(200, item["status"]!.GetValue<int>());
        Assert.Equal(1, item["index"]!.GetValue<int>());
        Assert.Equal("/v1/batch", item["path"]!.GetValue<string>());
        Assert.Equal("beacon-source", item["source"]!.GetValue<string>());
        Assert.NotNull(item["errors"]!["event"]);
        Assert.Contains(seen, e => e.Name == "event" && e.Data["messageId"]!.GetValue<string>() == "fine");

        Assert.All(seen, e => Assert.DoesNotContain(BeaconKey, e.Raw, StringComparison.Ordinal));
        Assert.All(seen, e => Assert.DoesNotContain("not-a-key", e.Raw, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithNoDebuggerConnectedRefusalsAreNotKept()
    {
        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey());
        using var writer = api.CreateAuthenticatedClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await writer.PostAsync("/v1/track", Http.Json("""{"userId":"u","messageId":"unwatched"}"""))).StatusCode);

        using var watch = api.Services.GetRequiredService<Tracking.Api.Debugger.EventTap>().Connect();

        Assert.Empty(watch.Recent);
    }
}
