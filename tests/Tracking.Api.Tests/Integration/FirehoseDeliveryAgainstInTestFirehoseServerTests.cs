using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// The Firehose sink through the API against <see cref="InTestFirehoseServer"/>, an in-test HTTP server speaking
/// the Firehose JSON protocol: no Firehose emulator exists on these machines.
/// </summary>
public sealed class FirehoseDeliveryAgainstInTestFirehoseServerTests
{
    private const string Stream = "events-to-s3";

    [Fact]
    public async Task EventsArriveOnceAsNewlineTerminatedJsonRecordsWithTheRecordsFailedPutCountNamesResentAgainstInTestFirehoseServer()
    {
        await using var server = await InTestFirehoseServer.StartAsync(Stream);
        var refused = 0;
        server.OnPutRecordBatch = (call, count) =>
        {
            if (call >= 10)
            {
                return null;
            }

            var errors = Enumerable.Range(0, count).Select(i => (i % 3) switch { 0 => "ServiceUnavailableException", 1 => "InternalFailure", _ => null }).ToList();
            Interlocked.Add(ref refused, errors.Count(e => e is not null));
            return new InTestKinesisServer.PutAnswer(RecordErrors: errors);
        };
        await using var api = StartApi(server);
        using var metrics = new ApiMetrics(api.Services);
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 20, perUser: 50, senders: 4));

        await Eventually.TrueAsync(() => server.Stored.Count >= 1_000, "every event is stored");
        var stored = server.Stored;
        Assert.All(stored, record =>
        {
            Assert.Equal((byte)'\n', record[^1]);
            Assert.DoesNotContain((byte)'\n', record[..^1]);
        });
        var ids = stored.Select(r => JsonNode.Parse(r)!["messageId"]!.GetValue<string>()).ToList();
        Assert.Equal(1_000, ids.Count);
        Assert.Equal(1_000, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.True(refused > 0);
        Assert.Equal(1_000 + refused, server.BatchSizes.Sum());
        Assert.All(server.BatchSizes, size => Assert.InRange(size, 1, 500));
        await Eventually.TrueAsync(() => metrics.Sum("tracking.delivery.sent") == 1_000, "the batcher counted every event sent");
        Assert.Equal(refused, metrics.Sum("tracking.delivery.failed"));
        Assert.InRange(metrics.Sum("tracking.sink.throttled"), 1, refused - 1);
    }

    [Fact]
    public async Task ThrottledRequestsServerErrorsAndDroppedConnectionsAreRetriedUntilEveryEventArrivesAgainstInTestFirehoseServer()
    {
        await using var server = await InTestFirehoseServer.StartAsync(Stream);
        server.OnPutRecordBatch = (call, _) => call < 6
            ? new InTestKinesisServer.PutAnswer(Whole: (call % 3) switch
            {
                0 => InTestAwsServer.Error(400, "ServiceUnavailableException", "Slow down."),
                1 => InTestAwsServer.Error(500, "InternalFailure", "Internal service failure."),
                _ => InTestAwsServer.Answer.Dropped,
            })
            : null;
        await using var api = StartApi(server);
        using var metrics = new ApiMetrics(api.Services);
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 10, perUser: 30, senders: 2));

        await Eventually.TrueAsync(() => server.Stored.Count >= 300, "every event is stored");
        Assert.Equal(300, server.Stored.Select(r => JsonNode.Parse(r)!["messageId"]!.GetValue<string>()).Distinct(StringComparer.Ordinal).Count());
        Assert.True(metrics.Sum("tracking.sink.throttled") > 0);
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "readiness is healthy once puts succeed");
    }

    [Fact]
    public async Task AMissingDeliveryStreamMakesTheApiUnreadyWithTheReasonUntilItExistsAgainstInTestFirehoseServer()
    {
        await using var server = await InTestFirehoseServer.StartAsync(Stream);
        server.StreamExists = false;
        await using var api = StartApi(server);
        using var client = api.CreateAuthenticatedClient();

        var description = await client.SinkUnreadyReasonAsync();
        Assert.Contains($"Firehose stream '{Stream}' was not found at {server.Url}", description, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"Early","messageId":"early"}"""))).StatusCode);

        server.StreamExists = true;

        await Eventually.TrueAsync(() => server.Stored.Count == 1, "the queued event is delivered once the stream exists");
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "readiness recovers");
    }

    [Fact]
    public async Task AStreamThatIsNotDirectPutIsReportedAsUnusableAgainstInTestFirehoseServer()
    {
        await using var server = await InTestFirehoseServer.StartAsync(Stream);
        server.Type = "KinesisStreamAsSource";
        await using var api = StartApi(server);
        using var client = api.CreateAuthenticatedClient();

        var description = await client.SinkUnreadyReasonAsync();

        Assert.Contains($"Firehose stream '{Stream}' is of type KinesisStreamAsSource; PutRecordBatch needs a DirectPut stream", description, StringComparison.Ordinal);
    }

    internal static TrackingApiFactory StartApi(InTestFirehoseServer server) =>
        new(new Dictionary<string, string?>
        {
            ["Tracking:Sink"] = "Firehose",
            ["Tracking:Firehose:DeliveryStreamName"] = Stream,
            ["Tracking:Firehose:ServiceUrl"] = server.Url.ToString(),
            ["Tracking:Firehose:Region"] = "us-east-1",
            ["Tracking:Firehose:Retry:MaxAttempts"] = "1",
            ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.010",
            ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.200",
        }, services => services.AddSingleton(KinesisEmulatorDeliveryTests.Credentials));
}
