using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Delivery;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

public class BackpressureTests
{
    [Fact]
    public async Task WhenTheSinkIsDownTheQueueFillsThenTheApiAnswers503AndRecoversWhenTheSinkReturns()
    {
        var sink = new SwitchableSink();
        await using var api = new TrackingApiFactory(
            new Dictionary<string, string?>
            {
                ["Tracking:Spool:Durability"] = "Memory",
                ["Tracking:Queue:MaxEvents"] = "5",
                ["Tracking:Queue:RetryAfterSeconds"] = "7",
                ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.010",
                ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.050",
            },
            services => services.AddSingleton<IEventSink>(sink));
        using var client = api.CreateAuthenticatedClient();

        var accepted = new List<string>();
        HttpResponseMessage? full = null;
        for (var i = 0; i < 10 && full is null; i++)
        {
            var id = $"m-{i}";
            var response = await client.PostAsync("/v1/track", Http.Json($$"""{"userId":"u","event":"E","messageId":"{{id}}"}"""));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted.Add(id);
            }
            else
            {
                full = response;
            }
        }

        Assert.Equal(5, accepted.Count);
        await full!.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(TimeSpan.FromSeconds(7), full!.Headers.RetryAfter!.Delta);

        JsonNode checks = null!;
        await Eventually.TrueAsync(async () =>
        {
            var ready = await client.GetAsync("/health/ready");
            checks = (await ready.ReadJsonAsync())["checks"]!;
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable && checks["sink"]!["status"]!.GetValue<string>() == "Unhealthy";
        }, "readiness reports the failing sink");
        Assert.Contains("connection refused", checks["sink"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Unhealthy", checks["queue"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        sink.Down = false;

        await Eventually.TrueAsync(() => { lock (sink.Delivered) { return sink.Delivered.Count == 5; } }, "the queued events are delivered once the sink is back");
        Assert.Equal(accepted.Order(), sink.Delivered.Order());
        // The sink keeps the events before it returns; the batcher then reports the recovery and frees the queue.
        await Eventually.TrueAsync(
            async () => { using var ready = await client.GetAsync("/health/ready"); return ready.StatusCode == HttpStatusCode.OK; },
            "readiness recovers once the batcher has settled the delivery");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"After"}"""))).StatusCode);
    }
}
