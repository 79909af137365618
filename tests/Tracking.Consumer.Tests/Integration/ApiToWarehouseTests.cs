using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;
using Xunit.Abstractions;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// The whole pipeline as users run it: the API process with its Kinesis sink on kinesalite, the consumer process
/// beside it loading PostgreSQL, and the consumer killed with SIGKILL five times while events flow.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed partial class ApiToWarehouseTests(PostgresServer postgres, KinesaliteFixture kinesalite, ITestOutputHelper output)
{
    private const int Users = 500;
    private const int PerUser = 100;
    private const int BatchSize = 100;
    private const string WriteKey = "consumer-tests-key";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FiftyThousandEventsPostedToTheApiAreEachInTheWarehouseOnceThoughTheConsumerIsKilledFiveTimes(bool aggregation)
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 8);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("e2e"));
        await using var api = ConsumerProcess.Start(ConsumerProcess.ApiAssemblyPath, new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Tracking:Sink"] = "Kinesis",
            ["Tracking:Kinesis:StreamName"] = stream.Name,
            ["Tracking:Kinesis:ServiceUrl"] = kinesalite.ServiceUrl.ToString(),
            ["Tracking:Kinesis:Region"] = "us-east-1",
            [$"Tracking:WriteKeys:{WriteKey}"] = "tests",
            ["Tracking:RateLimit:PermitsPerSecond"] = "0",
            ["Tracking:Kinesis:Aggregation"] = aggregation ? "true" : "false",
        });
        var apiUrl = new Uri((await api.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a");
        settings["Consumer:Batching:MaxRows"] = "2000";
        var consumer = ConsumerProcess.Start(settings);
        var clock = Stopwatch.StartNew();
        try
        {
            var posting = PostAsync(apiUrl);
            var loaded = 0L;
            for (var kill = 1; kill <= 5; kill++)
            {
                var threshold = Math.Min(Math.Max((kill * Users * PerUser / 7) + random.Next(Users * PerUser / 14), loaded + 1), Users * PerUser);
                await warehouse.WaitForEventCountAsync(threshold, Patience, consumer);
                await consumer.KillAsync();
                loaded = await warehouse.EventCountAsync();
                output.WriteLine($"kill {kill} at {loaded} rows, {clock.Elapsed.TotalSeconds:F1} s");
                await consumer.DisposeAsync();
                consumer = ConsumerProcess.Start(settings);
            }

            var ids = await posting;
            await warehouse.WaitForEventCountAsync(ids.Count, Patience, consumer);
            output.WriteLine($"all {ids.Count} loaded after {clock.Elapsed.TotalSeconds:F1} s (seed {seed})");

            Assert.Equal(Users * PerUser, ids.Count);
            Assert.Equal(ids, await warehouse.MessageIdsAsync());
            Assert.Equal(ids.Count, await warehouse.EventCountAsync());
            Assert.Equal(0, await warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
            Assert.Equal(0, await warehouse.ScalarAsync<long>("SELECT count(*) FROM events WHERE received_at IS NULL OR source <> 'tests'"));
            var records = await stream.CountRecordsAsync();
            output.WriteLine($"{records} Kinesis records for {ids.Count} events");
            Assert.True(aggregation ? records < ids.Count : records >= ids.Count, $"{records} records for {ids.Count} events, aggregation {aggregation}");
        }
        finally
        {
            await consumer.DisposeAsync();
        }
    }

    /// <summary>Posts every event in batches from four senders, resending a batch the API refused for now (429, 503).</summary>
    private static async Task<HashSet<string>> PostAsync(Uri apiUrl)
    {
        using var http = new HttpClient { BaseAddress = apiUrl, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{WriteKey}:")));
        var batches = TestEvent.Many(Users, PerUser, "api").Chunk(BatchSize).ToList();
        var next = -1;
        async Task SendAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < batches.Count; i = Interlocked.Increment(ref next))
            {
                var body = Batch(batches[i]);
                for (var attempt = 0; ; attempt++)
                {
                    using var content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
                    using var response = await http.PostAsync(new Uri("/v1/batch", UriKind.Relative), content);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }

                    Assert.True(
                        attempt < 50 && response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable,
                        $"batch {i}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * (attempt + 1)));
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(SendAsync)));
        return batches.SelectMany(b => b).Select(e => e.MessageId).ToHashSet(StringComparer.Ordinal);
    }

    private static byte[] Batch(IEnumerable<TestEvent> events)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("batch");
            foreach (var e in events)
            {
                json.WriteStartObject();
                json.WriteString("type", "track");
                json.WriteString("messageId", e.MessageId);
                json.WriteString("userId", e.UserId);
                json.WriteString("event", "Step Completed");
                json.WriteStartObject("properties");
                json.WriteNumber("seq", e.Seq);
                json.WriteEndObject();
                json.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
