using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>/status.json counts what happened to the API's traffic, and says why the consumer cannot be asked.</summary>
public class StatusTests
{
    private static HttpClient AdminClient(TrackingApiFactory api)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsAccessTests.AdminKey);
        return client;
    }

    [Fact]
    public async Task StatusJsonCountsAcceptedRejectedByReasonRefusedByStatusAndDeliveredEvents()
    {
        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey());
        using var writer = api.CreateAuthenticatedClient();
        using var admin = AdminClient(api);

        using var batch = await writer.PostAsync("/v1/batch", Http.Json(
            """{"batch":[{"type":"track","userId":"u1","event":"A"},{"type":"track","userId":"u2","event":"B"},{"type":"group","userId":"u3"}]}"""));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        using var stranger = api.CreateClient();
        using var unknownKey = await stranger.PostAsync("/v1/track", Http.Json("""{"writeKey":"nobody","userId":"u","event":"E"}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, unknownKey.StatusCode);

        JsonObject status = [];
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await admin.GetAsync("/status.json");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                status = await response.ReadJsonAsync();

                // Refusals are counted from ASP.NET Core's request-duration measurement, which is recorded once the
                // request has ended on the server: the client can hold the 401 a moment before it is counted.
                return status["totals"]!["delivered"]!.GetValue<long>() == 2 && status["totals"]!["refused"]!.AsObject().ContainsKey("401");
            },
            "both accepted events are delivered and the refusal is counted");

        var totals = status["totals"]!;
        Assert.Equal(2, totals["accepted"]!.GetValue<long>());
        Assert.Equal(1, totals["rejected"]!["invalid"]!.GetValue<long>());
        Assert.Equal(1, totals["refused"]!["401"]!.GetValue<long>());
        Assert.Equal(0, totals["failed"]!.GetValue<long>());
        Assert.Equal("Healthy", status["readiness"]!.GetValue<string>());
        Assert.Equal("File", status["sink"]!["name"]!.GetValue<string>());
        Assert.True(status["sink"]!["healthy"]!.GetValue<bool>());
        Assert.Equal("spool", status["queue"]!["kind"]!.GetValue<string>());
        Assert.Equal(0, status["queue"]!["events"]!.GetValue<long>());
        Assert.Equal(5, status["intervalSeconds"]!.GetValue<int>());
        Assert.NotNull(status["checks"]!["sink"]);
        Assert.Equal("not configured", status["consumer"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task AConsumerThatDoesNotAnswerIsShownAsUnreachableWithTheReason()
    {
        // A port nothing listens on: bound, then released.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey(("Tracking:Status:ConsumerUrl", $"http://127.0.0.1:{port}")));
        using var admin = AdminClient(api);
        using var response = await admin.GetAsync("/status.json");
        var consumer = (await response.ReadJsonAsync())["consumer"]!;
        Assert.Equal("unreachable", consumer["state"]!.GetValue<string>());
        Assert.Equal($"http://127.0.0.1:{port}/status.json", consumer["url"]!.GetValue<string>());
        Assert.Contains($"127.0.0.1:{port}", consumer["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(consumer["status"]);
    }

    [Fact]
    public async Task AConsumerUrlThatIsNotAnHttpAddressRefusesTheStart()
    {
        var (exitCode, _, stderr) = await ApiProcess.RunToExitAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["Tracking__WriteKeys__k"] = "source",
            ["Tracking__AdminKey"] = OperationsAccessTests.AdminKey,
            ["Tracking__Status__ConsumerUrl"] = "ftp://consumer",
        });
        Assert.Equal(2, exitCode);
        Assert.Contains("Tracking:Status:ConsumerUrl must be an absolute http or https address", stderr, StringComparison.Ordinal);
    }
}
