using System.Net;
using System.Text;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

public class ConcurrentDeliveryTests
{
    [Fact]
    public async Task TenThousandEventsPostedConcurrentlyAreEachInTheOutboxExactlyOnce()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?> { ["Tracking:File:MaxFileBytes"] = "262144" });
        using var client = api.CreateAuthenticatedClient();
        var ids = Enumerable.Range(0, 10_000).Select(i => $"evt-{i:00000}").ToArray();

        // Half as single /v1/track calls, half in /v1/batch requests of 50, all from 16 concurrent senders.
        var singles = ids.Take(5_000).Select(id => (Path: "/v1/track", Body: $$$"""{"userId":"user-{{{id[^2..]}}}","event":"Load Test","messageId":"{{{id}}}","properties":{"n":1}}"""));
        var batches = ids.Skip(5_000).Chunk(50).Select(chunk => (Path: "/v1/batch", Body: "{\"batch\":[" + string.Join(",", chunk.Select(id => $$$"""{"type":"track","anonymousId":"device-{{{id[^2..]}}}","event":"Load Test","messageId":"{{{id}}}"}""")) + "]}"));
        var requests = new System.Collections.Concurrent.ConcurrentQueue<(string Path, string Body)>(singles.Concat(batches).OrderBy(_ => Random.Shared.Next()));

        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (requests.TryDequeue(out var request))
            {
                var response = await client.PostAsync(request.Path, new StringContent(request.Body, Encoding.UTF8, "application/json"));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));

        Assert.Equal(0, failures);

        await api.ShutdownAsync();

        var delivered = Outbox.ReadEvents(api.OutboxDirectory).Select(e => e["messageId"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Length, delivered.Count);
        Assert.Equal(ids, delivered.Order(StringComparer.Ordinal));
        Assert.True(Outbox.CompleteFiles(api.OutboxDirectory).Count() > 1, "the size limit rolled the outbox into several files");
    }
}
