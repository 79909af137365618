using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Api.Tests.Support;
using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Testing;
using Tracking.Testing.Emulators;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// The Kinesis sink end to end against a Kinesis emulator: events posted to the API by concurrent clients,
/// read back from every shard with GetRecords. Each emulator runs these through a subclass whose fixture
/// starts it.
/// </summary>
public abstract class KinesisEmulatorDeliveryTests : IDisposable
{
    private const int Users = 200;
    private const int EventsPerUser = 100;
    private const int Senders = 16;
    private const int Shards = 4;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    protected KinesisEmulatorDeliveryTests(Uri serviceUrl, string region)
    {
        ServiceUrl = serviceUrl;
        Region = region;
        Client = new KinesisClient(_http, new AwsClientSettings
        {
            Region = region,
            ServiceUrl = serviceUrl,
            Retry = new AwsRetryOptions { MaxAttempts = 5, BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
        }, Credentials);
    }

    /// <summary>Any key signs for the emulators; registered in the API so it never looks for instance credentials.</summary>
    internal static AWSCredentials Credentials { get; } = new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

    protected Uri ServiceUrl { get; }

    protected string Region { get; }

    protected KinesisClient Client { get; }

    [Fact]
    public async Task TwentyThousandEventsFromConcurrentClientsAreEachReadBackOnceFromTheShardsInEachUsersOrder()
    {
        var stream = await CreateStreamAsync(Shards);
        await using var api = StartApi(stream);
        using var client = api.CreateAuthenticatedClient();

        var failures = await KinesisTestEvents.PostAsync(client, Users, EventsPerUser, Senders);
        Assert.Empty(failures);

        var read = await ReadUntilAsync(stream, Users * EventsPerUser, TimeSpan.FromSeconds(60));

        var ids = read.Select(r => r.Event["messageId"]!.GetValue<string>()).ToList();
        Assert.Equal(Users * EventsPerUser, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(read, r => Assert.NotEqual((byte)'\n', r.Data[^1]));
        Assert.Equal(Shards, read.Select(r => r.ShardId).Distinct().Count());

        // The sink's MD5 routing agrees with the emulator's, so each lane really is one shard.
        var map = ShardMap.FromOpenShards(await Client.ListAllShardsAsync(stream));
        Assert.All(read, r => Assert.Equal(r.ShardId, map.ShardIds[map.IndexOf(r.PartitionKey)]));
        foreach (var user in read.GroupBy(r => KinesisTestEvents.Key(r.Event)))
        {
            // One key, one shard, and the shard's order (sequence numbers) is the order the user's events were sent in.
            Assert.Single(user.Select(r => r.ShardId).Distinct());
            var sequence = user.OrderBy(r => r.SequenceNumber).Select(r => KinesisTestEvents.Seq(r.Event));
            Assert.Equal(Enumerable.Range(0, EventsPerUser), sequence);
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        _http.Dispose();
        GC.SuppressFinalize(this);
    }

    protected TrackingApiFactory StartApi(string stream, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Tracking:Sink"] = "Kinesis",
            ["Tracking:Kinesis:StreamName"] = stream,
            ["Tracking:Kinesis:ServiceUrl"] = ServiceUrl.ToString(),
            ["Tracking:Kinesis:Region"] = Region,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var api = new TrackingApiFactory(all, services => services.AddSingleton(Credentials));
        _ = api.Services;
        return api;
    }

    protected async Task<string> CreateStreamAsync(int shards)
    {
        var stream = $"events-{Guid.NewGuid():N}";
        await Client.CreateStreamAsync(new CreateStreamRequest { StreamName = stream, ShardCount = shards });
        await Client.WaitForStreamActiveAsync(stream, TimeSpan.FromSeconds(30));
        return stream;
    }

    /// <summary>
    /// Reads every shard from its trim horizon until <paramref name="expected"/> records are in. Fails when no new record
    /// arrived for <paramref name="deadline"/> (delivery stuck), or after four times that in all: a loaded machine slows
    /// the emulator down, and a slow but moving delivery is not what these tests are about.
    /// </summary>
    /// <remarks>
    /// With <paramref name="messageIds"/>, reads until each of them is in: a delivery retried after an outage may put an event
    /// twice (at least once), and events written but never answered (a killed process) are extra, so counting records is not enough.
    /// </remarks>
    protected async Task<List<StreamRecord>> ReadUntilAsync(string stream, int expected, TimeSpan deadline, IReadOnlySet<string>? messageIds = null)
    {
        var clock = Stopwatch.StartNew();
        var shards = await Client.ListAllShardsAsync(stream);
        var iterators = new Dictionary<string, string>();
        foreach (var shard in shards)
        {
            iterators[shard.ShardId] = (await Client.GetShardIteratorAsync(new GetShardIteratorRequest
            {
                StreamName = stream,
                ShardId = shard.ShardId,
                ShardIteratorType = ShardIteratorType.TrimHorizon,
            })).ShardIterator;
        }

        var read = new List<StreamRecord>();
        var lastProgress = TimeSpan.Zero;
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        while (messageIds is null ? read.Count < expected : !messageIds.IsSubsetOf(distinct))
        {
            var gotAny = false;
            foreach (var (shardId, iterator) in iterators.ToList())
            {
                var page = await Client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator, Limit = KinesisLimits.MaxRecordsPerGetRecords });
                iterators[shardId] = page.NextShardIterator!;
                gotAny |= page.Records.Count > 0;
                read.AddRange(page.Records.Select(r => new StreamRecord(
                    shardId,
                    System.Numerics.BigInteger.Parse(r.SequenceNumber, System.Globalization.CultureInfo.InvariantCulture),
                    r.PartitionKey,
                    r.Data.ToArray(),
                    JsonNode.Parse(r.Data.Span)!.AsObject())));
                distinct.UnionWith(read.Skip(read.Count - page.Records.Count).Select(r => r.Event["messageId"]?.GetValue<string>() ?? string.Empty));
            }

            if (gotAny)
            {
                lastProgress = clock.Elapsed;
            }

            if (clock.Elapsed - lastProgress > deadline || clock.Elapsed > 4 * deadline)
            {
                Assert.Fail($"Only {read.Count} of {expected} records were in the stream after {clock.Elapsed.TotalSeconds:0} s (the last new one {(clock.Elapsed - lastProgress).TotalSeconds:0} s ago).");
            }

            if (!gotAny)
            {
                // Nothing new on any shard: give the sink a moment before reading again (GetRecords is limited to 5 calls/s per shard).
                await Task.Delay(200);
            }
        }

        return read;
    }

    protected sealed record StreamRecord(string ShardId, System.Numerics.BigInteger SequenceNumber, string PartitionKey, byte[] Data, JsonObject Event);
}

/// <summary>The Kinesis sink against kinesalite.</summary>
public sealed class KinesaliteDeliveryTests(KinesaliteFixture kinesalite)
    : KinesisEmulatorDeliveryTests(kinesalite.ServiceUrl, KinesaliteFixture.Region), IClassFixture<KinesaliteFixture>
{
    [Fact]
    public async Task AMissingStreamMakesTheApiUnreadyWithTheReasonWhileItKeepsAcceptingThenDeliveryResumesOnceTheStreamExists()
    {
        var stream = $"late-{Guid.NewGuid():N}";
        await using var api = StartApi(stream, new Dictionary<string, string?>
        {
            ["Tracking:Spool:Durability"] = "Memory",
            ["Tracking:Queue:MaxEvents"] = "20",
            ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.020",
            ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.200",
        });
        using var client = api.CreateAuthenticatedClient();

        string description = "";
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await client.GetAsync("/health/ready");
            description = (await ready.ReadJsonAsync())["checks"]!["sink"]!["description"]?.GetValue<string>() ?? "";
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable && description.Contains("not found", StringComparison.Ordinal);
        }, "readiness reports the missing stream");
        Assert.Contains($"stream '{stream}' was not found", description, StringComparison.Ordinal);

        // Still accepting into the queue, then 503 once it is full: nothing is refused silently.
        var accepted = new List<string>();
        HttpResponseMessage? full = null;
        for (var i = 0; i < 40 && full is null; i++)
        {
            var response = await client.PostAsync("/v1/track", Http.Json($$"""{"userId":"u-{{i % 3}}","event":"Waiting","messageId":"w-{{i}}"}"""));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted.Add($"w-{i}");
            }
            else
            {
                full = response;
            }
        }

        Assert.Equal(20, accepted.Count);
        await full!.ProblemAsync(HttpStatusCode.ServiceUnavailable);

        await Client.CreateStreamAsync(new CreateStreamRequest { StreamName = stream, ShardCount = 2 });

        var read = await ReadWhenCreatedAsync(stream, accepted.Count);
        Assert.Equal(accepted.Order(StringComparer.Ordinal), read.Select(r => r.Event["messageId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "readiness recovers");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"After"}"""))).StatusCode);
    }

    [Fact]
    public async Task AStreamFrozenThirtySecondsUnderLoadThenASigkillOfTheApiLosesNothingAnswered200()
    {
        var stream = await CreateStreamAsync(4);
        var spool = TemporaryFolder.NewPath("frozen-");
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Tracking__WriteKeys__k"] = "frozen-stream",
            ["Tracking__Sink"] = "Kinesis",
            ["Tracking__Kinesis__StreamName"] = stream,
            ["Tracking__Kinesis__ServiceUrl"] = ServiceUrl.ToString(),
            ["Tracking__Kinesis__Region"] = Region,
            ["Tracking__Spool__Directory"] = spool,
            ["Tracking__RateLimit__PerAddressPermitsPerSecond"] = "0",
            ["Tracking__RateLimit__PermitsPerSecond"] = "0",
            ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE",
            ["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        };
        var accepted = new System.Collections.Concurrent.ConcurrentBag<string>();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<HttpStatusCode, int>();
        var frozen = false;
        try
        {
            await using (var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, settings))
            {
                using var stop = new CancellationTokenSource();
                var senders = Enumerable.Range(0, 4).Select(s => Task.Run(() => SendAsync(api, s, accepted, statuses, stop.Token))).ToList();
                await Eventually.TrueAsync(() => accepted.Count >= 1_000, "events flow to the stream", TimeSpan.FromSeconds(60));

                kinesalite.Freeze();
                frozen = true;
                var before = accepted.Count;
                await Task.Delay(TimeSpan.FromSeconds(30)); // the outage itself: what is being tested is how long it lasts
                Assert.True(accepted.Count > before, "the API went on answering 200 into its spool while the stream was frozen");

                await api.KillAsync();
                await stop.CancelAsync();
                await Task.WhenAll(senders);
            }

            kinesalite.Thaw();
            frozen = false;
            Assert.Equal([HttpStatusCode.OK], statuses.Keys.Where(s => s != HttpStatusCode.ServiceUnavailable).Order());

            await using var restarted = await ApiProcess.StartAsync(ApiProcess.BuiltDll, settings);
            var ids = accepted.ToHashSet(StringComparer.Ordinal);
            var read = await ReadUntilAsync(stream, ids.Count, TimeSpan.FromSeconds(120), ids);
            var stored = read.Select(r => r.Event["messageId"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            var missing = ids.Where(id => !stored.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} of {ids.Count} events answered 200 are not in the stream");
        }
        finally
        {
            if (frozen)
            {
                kinesalite.Thaw();
            }

            TemporaryFolder.Delete(spool);
        }
    }

    private static async Task SendAsync(ApiProcess api, int sender, System.Collections.Concurrent.ConcurrentBag<string> accepted, System.Collections.Concurrent.ConcurrentDictionary<HttpStatusCode, int> statuses, CancellationToken stop)
    {
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("k:"u8.ToArray()));

        // A steady load (4 senders × 10 requests/s × 20 events), which four shards drain in seconds after the outage.
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        for (var request = 0; !stop.IsCancellationRequested; request++)
        {
            try
            {
                await pace.WaitForNextTickAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var ids = Enumerable.Range(0, 20).Select(i => $"f{sender}-{request}-{i}").ToList();
            var body = "{\"batch\":[" + string.Join(",", ids.Select(id => $"{{\"type\":\"track\",\"userId\":\"u{sender}\",\"event\":\"Frozen\",\"messageId\":\"{id}\"}}")) + "]}";
            try
            {
                using var response = await client.PostAsync("/v1/batch", Http.Json(body), stop);
                statuses.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ids.ForEach(accepted.Add);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<List<StreamRecord>> ReadWhenCreatedAsync(string stream, int expected)
    {
        await Client.WaitForStreamActiveAsync(stream, TimeSpan.FromSeconds(30));
        return await ReadUntilAsync(stream, expected, TimeSpan.FromSeconds(30));
    }
}

/// <summary>The Kinesis sink against kinesis-local (kinesis-mock).</summary>
public sealed class KinesisLocalDeliveryTests(KinesisLocalFixture kinesisLocal)
    : KinesisEmulatorDeliveryTests(kinesisLocal.ServiceUrl, KinesisLocalFixture.Region), IClassFixture<KinesisLocalFixture>;
