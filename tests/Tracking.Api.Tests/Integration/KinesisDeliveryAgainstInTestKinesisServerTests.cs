using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Api.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Emulators;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// The Kinesis sink through the API against <see cref="InTestKinesisServer"/>, an in-test HTTP server speaking the
/// Kinesis JSON protocol, where the emulators cannot go: partial failures (<c>FailedRecordCount</c> &gt; 0 with
/// per-record <c>ErrorCode</c>s), throttling storms, 5xx and dropped connections, refused credentials.
/// </summary>
public sealed class KinesisDeliveryAgainstInTestKinesisServerTests
{
    private const string Stream = "events";

    [Fact]
    public async Task RecordsRefusedMidRequestAreResentAloneAndEveryEventArrivesOnceInEachUsersOrderAgainstInTestKinesisServer()
    {
        await using var server = await InTestKinesisServer.StartAsync(Stream, shardCount: 2);
        var refused = 0;
        server.OnPutRecords = (call, entries) =>
        {
            if (call >= 6 || entries.Count < 3)
            {
                return null;
            }

            // The shard's second ran out two thirds into the request: the tail is refused, as Kinesis does.
            var errors = entries.Select((_, i) => i >= entries.Count * 2 / 3 ? "ProvisionedThroughputExceededException" : null).ToList();
            Interlocked.Add(ref refused, errors.Count(e => e is not null));
            return new InTestKinesisServer.PutAnswer(RecordErrors: errors);
        };
        await using var api = StartApi(server);
        using var metrics = new ApiMetrics(api.Services);
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 40, perUser: 50, senders: 8));

        await Eventually.TrueAsync(() => server.Stored.Count >= 2_000, "every event is stored");
        KinesisTestEvents.AssertEachOnceInEachUsersOrder(server.Stored.OrderBy(r => r.SequenceNumber).Select(r => r.Event), users: 40, perUser: 50);
        Assert.True(refused > 0);

        // Only what was refused went out again: everything sent is what was stored plus one per refusal.
        Assert.Equal(2_000 + refused, server.PutCalls.Sum(c => c.Entries.Count));
        await Eventually.TrueAsync(() => metrics.Sum("tracking.delivery.sent") == 2_000, "the batcher counted every event sent");
        Assert.Equal(refused, metrics.Sum("tracking.delivery.failed"));
        Assert.Equal(refused, metrics.Sum("tracking.sink.throttled"));
        Assert.InRange(metrics.Sum("tracking.delivery.recovered"), 1, refused);
        Assert.Equal(0, metrics.Sum("tracking.delivery.dropped"));
        Assert.Equal(0, metrics.Sum("tracking.sink.reordered"));
    }

    [Fact]
    public async Task ScatteredInternalFailuresAreRetriedAndEveryRecordPutRecordsWroteAheadOfAnEarlierOneIsCountedAgainstInTestKinesisServer()
    {
        await using var server = await InTestKinesisServer.StartAsync(Stream, shardCount: 2);
        server.OnPutRecords = (call, entries) => call < 10
            ? new InTestKinesisServer.PutAnswer(RecordErrors: [.. entries.Select((_, i) => i % 4 == 1 ? "InternalFailure" : null)])
            : null;
        await using var api = StartApi(server);
        using var metrics = new ApiMetrics(api.Services);
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 10, perUser: 60, senders: 4));

        await Eventually.TrueAsync(() => server.Stored.Count >= 600, "every event is stored");
        var stored = server.Stored.OrderBy(r => r.SequenceNumber).Select(r => r.Event).ToList();
        var ids = stored.Select(e => e["messageId"]!.GetValue<string>()).ToList();
        Assert.Equal(600, ids.Count);
        Assert.Equal(600, ids.Distinct(StringComparer.Ordinal).Count());

        // PutRecords cannot undo record 3 when record 2 of the same key failed: each such write is counted, no more, no less.
        var written = new HashSet<string>(StringComparer.Ordinal);
        var ahead = 0;
        foreach (var e in stored)
        {
            var key = KinesisTestEvents.Key(e);
            var seq = KinesisTestEvents.Seq(e);
            ahead += Enumerable.Range(0, seq).Any(earlier => !written.Contains($"{key}/{earlier}")) ? 1 : 0;
            written.Add($"{key}/{seq}");
        }

        Assert.True(ahead > 0, "the scripted failures made some records overtake earlier ones");
        await Eventually.TrueAsync(() => metrics.Sum("tracking.delivery.sent") == 600, "the batcher counted every event sent");
        Assert.Equal(ahead, metrics.Sum("tracking.sink.reordered"));
        Assert.Equal(0, metrics.Sum("tracking.sink.throttled"));
    }

    [Fact]
    public async Task AThrottlingStormLowersTheSendRateInsteadOfHammeringTheStreamAndEveryEventArrivesInOrderAgainstInTestKinesisServer()
    {
        const double Capacity = 600;
        await using var server = await InTestKinesisServer.StartAsync(Stream, shardCount: 2);
        server.ShardRecordsPerSecond = Capacity;
        await using var api = StartApi(server);
        using var metrics = new ApiMetrics(api.Services);
        using var client = api.CreateAuthenticatedClient();
        var clock = Stopwatch.StartNew();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 40, perUser: 100, senders: 8));

        var lowest = double.MaxValue;
        await Eventually.TrueAsync(() =>
        {
            metrics.Observe();
            while (metrics.RateLimits.TryDequeue(out var rate))
            {
                lowest = Math.Min(lowest, rate);
            }

            return server.Stored.Count >= 4_000;
        }, "every event is stored", TimeSpan.FromSeconds(60));
        var elapsed = clock.Elapsed;

        KinesisTestEvents.AssertEachOnceInEachUsersOrder(server.Stored.OrderBy(r => r.SequenceNumber).Select(r => r.Event), users: 40, perUser: 100);
        var throttled = metrics.Sum("tracking.sink.throttled");
        var calls = server.PutCalls.Count;
        Assert.True(throttled > 0, "the stream throttled");
        Assert.True(lowest < 1_000, $"the send rate was lowered from the 1,000 records/s quota (lowest {lowest:0})");

        // A sender that ignored throttling would resend refused records several times over and call many times a second per shard.
        Assert.True(throttled < 4_000 / 2, $"{throttled} records were refused for 4,000 written");
        Assert.True(calls / elapsed.TotalSeconds < 2 * 25, $"{calls} PutRecords calls in {elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task ServerErrorsAndDroppedConnectionsMakeTheApiUnreadyWithTheReasonThenEveryEventArrivesOnceAgainstInTestKinesisServer()
    {
        await using var server = await InTestKinesisServer.StartAsync(Stream, shardCount: 2);
        var failing = true;
        server.OnPutRecords = (call, _) => !Volatile.Read(ref failing)
            ? null
            : new InTestKinesisServer.PutAnswer(Whole: (call % 3) switch
            {
                0 => InTestAwsServer.Error(500, "InternalFailure", "Internal service failure."),
                1 => InTestAwsServer.Error(503, "ServiceUnavailable", "Service is unavailable."),
                _ => InTestAwsServer.Answer.Dropped,
            });
        await using var api = StartApi(server);
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 10, perUser: 20, senders: 2));

        string description = "";
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await client.GetAsync("/health/ready");
            description = (await ready.ReadJsonAsync())["checks"]!["sink"]!["description"]?.GetValue<string>() ?? "";
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable && description.Contains("not written", StringComparison.Ordinal);
        }, "readiness reports the failing puts");
        Assert.Matches("InternalFailure|ServiceUnavailable|unreachable", description);
        Assert.Empty(server.Stored);

        Volatile.Write(ref failing, false);

        await Eventually.TrueAsync(() => server.Stored.Count >= 200, "every event is stored once the stream answers again");
        KinesisTestEvents.AssertEachOnceInEachUsersOrder(server.Stored.OrderBy(r => r.SequenceNumber).Select(r => r.Event), users: 10, perUser: 20);
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "readiness recovers");
    }

    [Fact]
    public async Task EachShardHasOnePutInFlightWhileSeveralShardsAreWrittenAtOnceAgainstInTestKinesisServer()
    {
        await using var server = await InTestKinesisServer.StartAsync(Stream, shardCount: 4);
        server.PutDelay = TimeSpan.FromMilliseconds(30);
        await using var api = StartApi(server);
        using var client = api.CreateAuthenticatedClient();
        var sink = api.Services.GetRequiredService<KinesisSink>();
        await Eventually.TrueAsync(() => sink.Map.Count == 4, "the sink has listed the shards");

        Assert.Empty(await KinesisTestEvents.PostAsync(client, users: 64, perUser: 40, senders: 8));

        await Eventually.TrueAsync(() => server.Stored.Count >= 2_560, "every event is stored");
        KinesisTestEvents.AssertEachOnceInEachUsersOrder(server.Stored.OrderBy(r => r.SequenceNumber).Select(r => r.Event), users: 64, perUser: 40);
        Assert.All(server.PutCalls, call => Assert.Single(call.Entries.Select(e => server.ShardOf(e.PartitionKey)).Distinct()));
        Assert.Equal(1, server.MostInFlightPerShard);
        Assert.True(server.MostInFlight > 1, "puts to different shards overlapped");
    }

    [Fact]
    public async Task RefusedCredentialsMakeTheApiUnreadyNamingThePermissionsNeededAgainstInTestKinesisServer()
    {
        await using var server = await InTestKinesisServer.StartAsync(Stream, shardCount: 1);
        server.DescribeAnswer = InTestAwsServer.Error(400, "AccessDeniedException",
            "User: arn:aws:iam::111122223333:user/tracking is not authorized to perform: kinesis:DescribeStreamSummary on resource: arn:aws:kinesis:us-east-1:111122223333:stream/events");
        await using var api = StartApi(server);
        using var client = api.CreateAuthenticatedClient();

        var description = await client.SinkUnreadyReasonAsync();

        Assert.Contains($"access to stream '{Stream}' was denied; the credentials need kinesis:DescribeStreamSummary and kinesis:ListShards", description, StringComparison.Ordinal);
        Assert.Contains("not authorized to perform: kinesis:DescribeStreamSummary", description, StringComparison.Ordinal);

        server.DescribeAnswer = null;
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "readiness recovers once access is granted");
    }

    [Fact]
    public async Task AnUnreachableEndpointMakesTheApiUnreadyWithTheReasonWhileItKeepsAccepting()
    {
        var closed = new Uri($"http://127.0.0.1:{EmulatorPackages.FreeLoopbackPort()}/");
        var settings = Settings(closed);
        settings["shutdownTimeoutSeconds"] = "1";
        await using var api = new TrackingApiFactory(settings, services => services.AddSingleton(KinesisEmulatorDeliveryTests.Credentials));
        using var client = api.CreateAuthenticatedClient();

        var description = await client.SinkUnreadyReasonAsync();

        Assert.Contains($"the endpoint {closed} is unreachable", description, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"Queued"}"""))).StatusCode);
    }

    internal static TrackingApiFactory StartApi(InTestKinesisServer server) =>
        new(Settings(server.Url), services => services.AddSingleton(KinesisEmulatorDeliveryTests.Credentials));

    private static Dictionary<string, string?> Settings(Uri serviceUrl) => new()
    {
        ["Tracking:Sink"] = "Kinesis",
        ["Tracking:Kinesis:StreamName"] = Stream,
        ["Tracking:Kinesis:ServiceUrl"] = serviceUrl.ToString(),
        ["Tracking:Kinesis:Region"] = "us-east-1",
        ["Tracking:Kinesis:Retry:MaxAttempts"] = "1",
        ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.010",
        ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.200",
    };
}
