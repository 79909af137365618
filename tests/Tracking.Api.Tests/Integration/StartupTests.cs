using System.Net;
using Microsoft.Extensions.Options;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

public class StartupTests
{
    [Fact]
    public async Task ProductionWithoutWriteKeysRefusesToStartAndSaysWhy()
    {
        await using var api = new TrackingApiFactory(environment: "Production", withWriteKey: false, useKestrel: false);

        var ex = Assert.Throws<OptionsValidationException>(() => api.CreateClient());

        Assert.Contains("No write keys are configured", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevelopmentWithoutWriteKeysAcceptsAnyKey()
    {
        await using var api = new TrackingApiFactory(environment: "Development", withWriteKey: false);
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("whatever:"u8.ToArray()));

        var response = await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await api.ShutdownAsync();
        Assert.Equal("development", Outbox.ReadEvents(api.OutboxDirectory).Single()["source"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Tracking:Batching:MaxEvents", "501", "Tracking:Batching:MaxEvents must be between 1 and 500")]
    [InlineData("Tracking:Queue:MaxEvents", "0", "Tracking:Queue:MaxEvents must be at least 1")]
    [InlineData("Tracking:RateLimit:PermitsPerSecond", "-1", "Tracking:RateLimit:PermitsPerSecond")]
    [InlineData("Tracking:ClientIp:TrustedProxies:0", "not-an-ip", "'not-an-ip', which is neither an IP address nor a CIDR network")]
    [InlineData("Tracking:File:MaxFileAge", "00:00:00", "Tracking:File:MaxFileAge must be at least 10 ms")]
    public async Task BadSettingsStopTheStartWithAMessageNamingTheSetting(string key, string value, string expected)
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?> { [key] = value }, useKestrel: false);

        var ex = Assert.Throws<OptionsValidationException>(() => api.CreateClient());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
