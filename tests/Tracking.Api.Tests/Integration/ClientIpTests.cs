using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

public class ClientIpTests
{
    private static async Task<string> StoredIpAsync(Dictionary<string, string?> settings, string? forwardedFor)
    {
        await using var api = new TrackingApiFactory(settings);
        using var client = api.CreateAuthenticatedClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = Http.Json("""{"userId":"u","event":"E","messageId":"ip-check"}""") };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        (await client.SendAsync(request)).EnsureSuccessStatusCode();
        await api.ShutdownAsync();
        return Outbox.ReadEvents(api.OutboxDirectory).Single()["context"]!["ip"]!.GetValue<string>();
    }

    [Fact]
    public async Task XForwardedForIsIgnoredUnlessTheProxyIsTrusted()
    {
        Assert.Equal("127.0.0.1", await StoredIpAsync([], "198.51.100.23"));
    }

    [Fact]
    public async Task XForwardedForFromATrustedProxyGivesTheClientsAddress()
    {
        Assert.Equal("198.51.100.23", await StoredIpAsync(new() { ["Tracking:ClientIp:TrustedProxies:0"] = "127.0.0.0/8" }, "198.51.100.23"));
    }

    [Fact]
    public async Task OnlyTrustedHopsOfAChainAreBelieved()
    {
        // 203.0.113.5 is the client; 10.1.2.3 an untrusted hop that could have forged what came before it.
        Assert.Equal("10.1.2.3", await StoredIpAsync(new() { ["Tracking:ClientIp:TrustedProxies:0"] = "127.0.0.1" }, "203.0.113.5, 10.1.2.3"));
    }

    [Fact]
    public async Task AnonymizationZeroesTheHostPart()
    {
        Assert.Equal("198.51.100.0", await StoredIpAsync(
            new() { ["Tracking:ClientIp:TrustedProxies:0"] = "127.0.0.1", ["Tracking:ClientIp:Anonymize"] = "true" }, "198.51.100.23"));
    }
}
