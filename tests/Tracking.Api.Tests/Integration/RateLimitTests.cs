using System.Net;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

public class RateLimitTests
{
    [Fact]
    public async Task AWriteKeyOverItsRateGets429WithRetryAfterWhileOtherKeysGoOn()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?>
        {
            ["Tracking:RateLimit:PermitsPerSecond"] = "3",
            ["Tracking:WriteKeys:other-key"] = "other-source",
        });
        using var client = api.CreateAuthenticatedClient();
        using var other = api.CreateClient();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var response = await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }

        Assert.NotNull(limited);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 3, string.Join(",", statuses));
        await limited.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        var beacon = await other.PostAsync("/v1/track", Http.Json("""{"writeKey":"other-key","userId":"u","event":"E"}""", "text/plain"));
        Assert.Equal(HttpStatusCode.OK, beacon.StatusCode);
    }

    [Fact]
    public async Task BehindAProxyOnThePrivateNetworkEachClientHasItsOwnAddressBudgetByDefault()
    {
        // The loopback connection stands for a load balancer in the same network, naming each client in X-Forwarded-For.
        await using var api = new TrackingApiFactory(new Dictionary<string, string?> { ["Tracking:RateLimit:PerAddressPermitsPerSecond"] = "3" });
        using var client = api.CreateAuthenticatedClient();

        async Task<HttpStatusCode> SendAsync(string clientAddress)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = Http.Json("""{"userId":"u","event":"E"}""") };
            request.Headers.Add("X-Forwarded-For", clientAddress);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        var manyClients = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            manyClients.Add(await SendAsync($"198.51.100.{i}"));
        }

        var oneClient = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            oneClient.Add(await SendAsync("203.0.113.7"));
        }

        Assert.All(manyClients, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Contains(HttpStatusCode.TooManyRequests, oneClient);
    }
}
