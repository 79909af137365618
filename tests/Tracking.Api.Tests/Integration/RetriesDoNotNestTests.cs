using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// Exactly one layer retries a failed put: the sink's own loop (a Kinesis lane, the batcher for Firehose), with
/// <c>Tracking:Batching:Retry*</c>. With the sinks' default client settings, every HTTP request the endpoint sees is
/// one attempt the sink made and counted; a client retrying inside it would send requests the sink never saw fail.
/// </summary>
public sealed class RetriesDoNotNestTests
{
    private const string Stream = "events";

    [Fact]
    public async Task EachThrottledPutRecordsTheEndpointSeesIsOneAttemptOfTheLaneWithTheDefaultClientSettings()
    {
        await using var server = await InTestKinesisServer.StartAsync(Stream, shardCount: 1);
        server.OnPutRecords = (call, _) => call < 2
            ? new InTestKinesisServer.PutAnswer(Whole: InTestAwsServer.Error(503, "ServiceUnavailable", "Service is unavailable."))
            : null;
        await using var api = new TrackingApiFactory(
            new Dictionary<string, string?>
            {
                ["Tracking:Sink"] = "Kinesis",
                ["Tracking:Kinesis:StreamName"] = Stream,
                ["Tracking:Kinesis:ServiceUrl"] = server.Url.ToString(),
                ["Tracking:Kinesis:Region"] = "us-east-1",
                ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.010",
                ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.050",
            },
            services => services.AddSingleton(KinesisEmulatorDeliveryTests.Credentials));
        using var metrics = new ApiMetrics(api.Services);
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 1, perUser: 1, senders: 1));

        await Eventually.TrueAsync(() => server.Stored.Count == 1, "the event is stored on the third request");
        await Eventually.TrueAsync(() => metrics.Sum("tracking.delivery.sent") == 1, "the batcher counted the event sent");
        Assert.Equal(3, server.PutCalls.Count);
        Assert.Equal(2, metrics.Sum("tracking.sink.throttled"));
    }

    [Fact]
    public async Task EachFailedPutRecordBatchTheEndpointSeesIsOneAttemptOfTheBatcherWithTheDefaultClientSettings()
    {
        await using var server = await InTestFirehoseServer.StartAsync(Stream);
        server.OnPutRecordBatch = (call, _) => call < 2
            ? new InTestKinesisServer.PutAnswer(Whole: InTestAwsServer.Error(500, "ServiceUnavailableException", "Slow down."))
            : null;
        await using var api = new TrackingApiFactory(
            new Dictionary<string, string?>
            {
                ["Tracking:Sink"] = "Firehose",
                ["Tracking:Firehose:DeliveryStreamName"] = Stream,
                ["Tracking:Firehose:ServiceUrl"] = server.Url.ToString(),
                ["Tracking:Firehose:Region"] = "us-east-1",
                ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.010",
                ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.050",
            },
            services => services.AddSingleton(KinesisEmulatorDeliveryTests.Credentials));
        using var metrics = new ApiMetrics(api.Services);
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 1, perUser: 1, senders: 1));

        await Eventually.TrueAsync(() => server.Stored.Count == 1, "the event is stored on the third request");
        await Eventually.TrueAsync(() => metrics.Sum("tracking.delivery.sent") == 1, "the batcher counted the event sent");
        Assert.Equal(3, server.BatchSizes.Count);
        Assert.Equal(2, metrics.Sum("tracking.delivery.failed"));
    }
}
