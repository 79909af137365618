using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
    public async Task ByDefaultXForwardedForFromALoopbackOrPrivateNetworkPeerGivesTheClientsAddress()
    {
        Assert.Equal("198.51.100.23", await StoredIpAsync([], "198.51.100.23"));
    }

    [Fact]
    public async Task WithoutPrivateNetworksOrListedProxiesXForwardedForIsIgnored()
    {
        Assert.Equal("127.0.0.1", await StoredIpAsync(new() { ["Tracking:ClientIp:TrustPrivateNetworks"] = "false" }, "198.51.100.23"));
    }

    [Fact]
    public async Task ListedProxiesReplaceThePrivateNetworksSoOtherPrivatePeersAreNotBelieved()
    {
        Assert.Equal("127.0.0.1", await StoredIpAsync(new() { ["Tracking:ClientIp:TrustedProxies:0"] = "10.9.9.9" }, "198.51.100.23"));
    }

    [Fact]
    public async Task AForwardedHeaderFromAnUntrustedPeerIsWarnedAboutOnceAndShownOnTheStatusPage()
    {
        var logs = new CapturedLogs();
        await using var api = new TrackingApiFactory(
            OperationsAccessTests.WithAdminKey(("Tracking:ClientIp:TrustedProxies:0", "10.9.9.9")),
            services => services.AddSingleton<ILoggerProvider>(logs));
        using var client = api.CreateAuthenticatedClient();
        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", OperationsAccessTests.AdminKey);

        var before = (await (await admin.GetAsync("/status.json")).ReadJsonAsync())["clientAddresses"]!;
        Assert.Equal("listed", before["mode"]!.GetValue<string>());
        Assert.Equal(["10.9.9.9"], before["trustedProxies"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Null(before["untrustedForwardedFrom"]);
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = Http.Json("""{"userId":"u","event":"E"}""") };
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i}");
            (await client.SendAsync(request)).EnsureSuccessStatusCode();
        }

        var warning = Assert.Single(logs.Entries, e => e.Message.Contains("X-Forwarded-For arrived from", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("127.0.0.1, which is not a trusted proxy", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Tracking:ClientIp:TrustedProxies", warning.Message, StringComparison.Ordinal);
        var after = (await (await admin.GetAsync("/status.json")).ReadJsonAsync())["clientAddresses"]!;
        Assert.Equal("127.0.0.1", after["untrustedForwardedFrom"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheStartUpLogSaysWhoseForwardedHeadersAreBelieved()
    {
        var settings = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["Tracking__WriteKeys__k"] = "source" };
        await using (var byDefault = await ApiProcess.StartAsync(ApiProcess.BuiltDll, settings))
        {
            Assert.Contains("Client addresses: X-Forwarded-For is believed from loopback and private-network peers (127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16", byDefault.Output, StringComparison.Ordinal);
        }

        settings["Tracking__ClientIp__TrustPrivateNetworks"] = "false";
        await using (var none = await ApiProcess.StartAsync(ApiProcess.BuiltDll, settings))
        {
            Assert.Contains("Client addresses: X-Forwarded-For is ignored", none.Output, StringComparison.Ordinal);
        }

        settings["Tracking__ClientIp__TrustedProxies__0"] = "10.0.0.5";
        await using var listed = await ApiProcess.StartAsync(ApiProcess.BuiltDll, settings);
        Assert.Contains("Client addresses: X-Forwarded-For is believed from the proxies in Tracking:ClientIp:TrustedProxies (10.0.0.5) only", listed.Output, StringComparison.Ordinal);
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
