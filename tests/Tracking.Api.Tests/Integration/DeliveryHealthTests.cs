using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Delivery;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

public class DeliveryHealthTests
{
    /// <summary>A sink whose endpoint hangs: a delivery never answers until shutdown cancels it.</summary>
    private sealed class HungSink : IEventSink
    {
        public string Name => "Hung";

        public async Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return DeliveryResult.Delivered;
        }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task AHungEndpointMakesTheApiUnreadyAsSoonAsADeliveryWaitsPastStalledAfter()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?>
        {
            ["Tracking:Batching:StalledAfter"] = "00:00:00.300",
            ["shutdownTimeoutSeconds"] = "1",
        }, services => services.AddSingleton<IEventSink, HungSink>());
        using var client = api.CreateAuthenticatedClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""))).StatusCode);

        string description = "";
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await client.GetAsync("/health/ready");
            description = (await ready.ReadJsonAsync())["checks"]!["sink"]!["description"]?.GetValue<string>() ?? "";
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, "readiness reports the hung delivery", TimeSpan.FromSeconds(10));
        Assert.Contains("may be hung", description, StringComparison.Ordinal);
    }
}
