using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Delivery;
using Tracking.Api.Tests.Support;
using Tracking.Aws.Firehose;
using Tracking.Aws.Kinesis;
using Tracking.Events;
using Tracking.Testing;
using StaticBound = Tracking.Api.Tests.Unit.KinesisAndFirehoseRecordSizeTests;

namespace Tracking.Api.Tests.Integration;

/// <summary>The largest event the API accepts, measured: it is what the static bound says, and fits both streams' records.</summary>
public class KinesisAndFirehoseRecordSizeTests
{
    private sealed class CapturingSink : IEventSink
    {
        public List<EnrichedEvent> Events { get; } = [];

        public string Name => "Capturing";

        public Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
        {
            lock (Events)
            {
                Events.AddRange(batch);
            }

            return Task.FromResult(DeliveryResult.Delivered);
        }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static HttpRequestMessage BatchWithSharedContext(int contextBytes)
    {
        // The shared context is copied into the message, so the event carries it on top of its own 30 KB.
        var key = new string('k', ProtocolLimits.MaxIdentifierLength);
        var message = $$$"""{"type":"track","anonymousId":"{{{key}}}","event":"Big","properties":{"p":"{{{new string('p', 30_000)}}}"}}""";
        var body = $$$"""{"batch":[{{{message}}}],"context":{"shared":"{{{new string('c', contextBytes)}}}"}}""";
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = Http.Json(body) };
        request.Headers.TryAddWithoutValidation("User-Agent", new string('"', 1_000));
        return request;
    }

    [Fact]
    public async Task TheLargestEventTheApiAcceptsMakesARecordBothStreamsTakeAndALargerOneIsRefused()
    {
        var sink = new CapturingSink();
        await using var api = new TrackingApiFactory(services: services => services.AddSingleton<IEventSink>(sink));
        using var client = api.CreateAuthenticatedClient();

        using var largest = BatchWithSharedContext(contextBytes: 30_000);
        using var accepted = await client.SendAsync(largest);
        using var larger = BatchWithSharedContext(contextBytes: 40_000);
        using var refused = await client.SendAsync(larger);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await refused.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await Eventually.TrueAsync(() => { lock (sink.Events) { return sink.Events.Count == 1; } }, "the event reaches the sink");
        var enriched = sink.Events[0];
        var record = enriched.SizeBytes + Encoding.UTF8.GetByteCount(enriched.PartitionKey);
        Assert.InRange(enriched.SizeBytes, 60_000, StaticBound.LargestEnrichedEvent);
        Assert.True(record < KinesisLimits.MaxRecordBytes, $"{record} bytes");
        Assert.True(enriched.SizeBytes + 1 < FirehoseLimits.MaxRecordBytes, $"{enriched.SizeBytes + 1} bytes");
    }
}
