using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Tests.Support;
using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Testing;
using Tracking.Testing.Emulators;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// The Kinesis sink with <c>Tracking:Kinesis:Aggregation</c> on: KPL aggregated records in kinesalite, read back by AWS's
/// own <c>aws-kinesis-agg</c> de-aggregator, and partial failures from the in-test Kinesis server.
/// </summary>
public sealed class KinesisAggregationTests(KinesaliteFixture kinesalite) : IClassFixture<KinesaliteFixture>
{
    private const int Users = 40;
    private const int PerUser = 50;

    [Fact]
    public async Task AggregatedPutsToKinesaliteDecodeWithAwsKinesisAggToEveryEventOnceInEachUsersOrder()
    {
        using var http = new HttpClient();
        using var kinesis = new KinesisClient(http, new AwsClientSettings { Region = KinesaliteFixture.Region, ServiceUrl = kinesalite.ServiceUrl }, KinesisEmulatorDeliveryTests.Credentials);
        var stream = $"events-{Guid.NewGuid():N}";
        await kinesis.CreateStreamAsync(new CreateStreamRequest { StreamName = stream, ShardCount = 2 });
        await kinesis.WaitForStreamActiveAsync(stream, TimeSpan.FromSeconds(30));
        await using var api = new TrackingApiFactory(
            new Dictionary<string, string?>
            {
                ["Tracking:Sink"] = "Kinesis",
                ["Tracking:Kinesis:StreamName"] = stream,
                ["Tracking:Kinesis:ServiceUrl"] = kinesalite.ServiceUrl.ToString(),
                ["Tracking:Kinesis:Region"] = KinesaliteFixture.Region,
                ["Tracking:Kinesis:Aggregation"] = "true",
            },
            services => services.AddSingleton(KinesisEmulatorDeliveryTests.Credentials));
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, Users, PerUser, senders: 4));
        var records = await ReadAllAsync(kinesis, stream, Users * PerUser);

        Assert.True(records.Count < Users * PerUser / 2, $"{records.Count} records for {Users * PerUser} events: hardly aggregated");
        Assert.Contains(records, r => AggregatedRecords.IsAggregated(r.Data));
        var answers = await AwsKinesisAgg.DeaggregateAsync(records.Select(r => (r.SequenceNumber, r.PartitionKey, r.Data)));
        Assert.All(answers, a => Assert.Null(a.Error));
        var events = records.Zip(answers).SelectMany(p => p.Second.Records!.Select(u =>
        {
            // Every user record of an aggregate has the aggregate's own key: each reader routes and orders it as a plain record.
            Assert.Equal(p.First.PartitionKey, u.PartitionKey);
            return JsonNode.Parse(u.Data)!.AsObject();
        }));
        KinesisTestEvents.AssertEachOnceInEachUsersOrder(events, Users, PerUser);
    }

    [Fact]
    public async Task APartlyFailedPutSendsTheRefusedAggregatesAgainWholeAndEveryEventArrivesOnceInEachUsersOrderAgainstInTestKinesisServer()
    {
        await using var server = await InTestKinesisServer.StartAsync("events", shardCount: 2);
        var refusedEvents = 0;
        var refusedAggregates = 0;
        server.OnPutRecords = (call, entries) =>
        {
            if (call >= 6 || entries.Count < 2)
            {
                return null;
            }

            // Every other record of the request refused: aggregates in the middle fail, those around them go through.
            var errors = entries.Select((e, i) => i % 2 == 1 ? "ProvisionedThroughputExceededException" : null).ToList();
            for (var i = 1; i < entries.Count; i += 2)
            {
                // Both shards' lanes put at once.
                Interlocked.Add(ref refusedAggregates, AggregatedRecords.IsAggregated(entries[i].Data) ? 1 : 0);
                Interlocked.Add(ref refusedEvents, EventsOf(entries[i].Data).Count);
            }

            return new InTestKinesisServer.PutAnswer(RecordErrors: errors);
        };
        var settings = new Dictionary<string, string?>
        {
            ["Tracking:Sink"] = "Kinesis",
            ["Tracking:Kinesis:StreamName"] = "events",
            ["Tracking:Kinesis:ServiceUrl"] = server.Url.ToString(),
            ["Tracking:Kinesis:Region"] = "us-east-1",
            ["Tracking:Kinesis:Retry:MaxAttempts"] = "1",
            ["Tracking:Kinesis:Aggregation"] = "true",
            ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.010",
            ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.200",
        };
        await using var api = new TrackingApiFactory(settings, services => services.AddSingleton(KinesisEmulatorDeliveryTests.Credentials));
        using var metrics = new ApiMetrics(api.Services);
        using var client = api.CreateAuthenticatedClient();

        Assert.Empty(await KinesisTestEvents.PostAsync(client, Users, PerUser, senders: 4));

        await Eventually.TrueAsync(() => server.Stored.Sum(r => EventsOf(r.Data).Count) >= Users * PerUser, "every event is stored");
        var stored = server.Stored.OrderBy(r => r.SequenceNumber).SelectMany(r => EventsOf(r.Data)).ToList();
        KinesisTestEvents.AssertEachOnceInEachUsersOrder(stored, Users, PerUser);
        Assert.True(refusedAggregates > 0, "no aggregate was refused");

        // What went out again is exactly the events of the refused records: aggregates were resent whole, nothing else twice.
        Assert.Equal(Users * PerUser + refusedEvents, server.PutCalls.Sum(c => c.Entries.Sum(e => EventsOf(e.Data).Count)));
        await Eventually.TrueAsync(() => metrics.Sum("tracking.delivery.sent") == Users * PerUser, "the batcher counted every event sent");
        Assert.Equal(refusedEvents, metrics.Sum("tracking.delivery.failed"));
        Assert.Equal(0, metrics.Sum("tracking.delivery.dropped"));
    }

    private static List<JsonObject> EventsOf(byte[] data) =>
        AggregatedRecords.IsAggregated(data)
            ? AggregatedRecords.TryDecode(data, out var users, out var error)
                ? [.. users.Select(u => JsonNode.Parse(u.Data.Span)!.AsObject())]
                : throw new InvalidOperationException(error)
            : [JsonNode.Parse(data)!.AsObject()];

    private static async Task<List<(string SequenceNumber, string PartitionKey, byte[] Data)>> ReadAllAsync(KinesisClient kinesis, string stream, int events)
    {
        var shards = await kinesis.ListAllShardsAsync(stream);
        var iterators = new Dictionary<string, string>();
        foreach (var shard in shards)
        {
            iterators[shard.ShardId] = (await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = stream, ShardId = shard.ShardId, ShardIteratorType = ShardIteratorType.TrimHorizon })).ShardIterator;
        }

        var read = new List<(string, string, byte[])>();
        var count = 0;
        await Eventually.TrueAsync(
            async () =>
            {
                foreach (var (shardId, iterator) in iterators.ToList())
                {
                    var page = await kinesis.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator, Limit = KinesisLimits.MaxRecordsPerGetRecords });
                    iterators[shardId] = page.NextShardIterator!;
                    foreach (var record in page.Records)
                    {
                        read.Add((record.SequenceNumber, record.PartitionKey, record.Data.ToArray()));
                        count += EventsOf(record.Data.ToArray()).Count;
                    }
                }

                return count >= events;
            },
            $"all {events} events in the stream");
        return read;
    }
}
