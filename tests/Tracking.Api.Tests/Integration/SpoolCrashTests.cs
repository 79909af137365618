using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Delivery;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// A 200 means the event will be delivered, whatever crashes: the real app in a child process, killed
/// with SIGKILL (its own process, not a shell), then started again on the same spool.
/// </summary>
public sealed class SpoolCrashTests : IDisposable
{
    private readonly string _root = TemporaryFolder.NewPath("crash-");

    private string Outbox => Path.Combine(_root, "outbox");

    private string SpoolFolder => Path.Combine(_root, "spool");

    public void Dispose()
    {
        TemporaryFolder.Delete(_root);
    }

    private Dictionary<string, string> FileSink(string durability = "Fsync") => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Tracking__WriteKeys__k"] = "crash-test",
        ["Tracking__File__Directory"] = Outbox,
        ["Tracking__File__MaxFileAge"] = "00:00:00.100",
        ["Tracking__Spool__Directory"] = SpoolFolder,
        ["Tracking__Spool__Durability"] = durability,
        ["Tracking__RateLimit__PerAddressPermitsPerSecond"] = "0",
        ["Tracking__RateLimit__PermitsPerSecond"] = "0",
    };

    /// <summary>The Kinesis sink pointed at a port nothing listens on: every put fails, so accepted events wait in the spool.</summary>
    private Dictionary<string, string> UnreachableStream(string durability)
    {
        var settings = FileSink(durability);
        settings["Tracking__Sink"] = "Kinesis";
        settings["Tracking__Kinesis__StreamName"] = "events";
        settings["Tracking__Kinesis__ServiceUrl"] = $"http://127.0.0.1:{ClosedPort()}";
        settings["Tracking__Kinesis__Region"] = "us-east-1";
        settings["AWS_ACCESS_KEY_ID"] = "test";
        settings["AWS_SECRET_ACCESS_KEY"] = "test";
        return settings;
    }

    [Fact]
    public async Task EveryEventAnswered200BeforeASigkillUnderLoadReachesTheFileSinkAfterARestart()
    {
        var accepted = new ConcurrentBag<string>();
        await using (var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, FileSink()))
        {
            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 8).Select(s => SendUntilAsync(api, s, 2_500, accepted, stop.Token)).ToList();
            await Eventually.TrueAsync(() => accepted.Count >= 8_000, "the load is under way", TimeSpan.FromSeconds(60));

            await api.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(senders);
        }

        Assert.InRange(accepted.Count, 8_000, 19_999);
        await using (var restarted = await ApiProcess.StartAsync(ApiProcess.BuiltDll, FileSink()))
        {
            await Eventually.TrueAsync(() => MissingFromOutbox(accepted).Count == 0, "every accepted event is in the outbox", TimeSpan.FromSeconds(60));
            Assert.Equal(0, await restarted.StopAsync());
        }

        Assert.Empty(MissingFromOutbox(accepted));
    }

    [Theory]
    [InlineData("Fsync")]
    [InlineData("Write")]
    public async Task WithTheStreamUnreachableASigkillLosesNothingAnswered200(string durability)
    {
        var accepted = await AcceptWhileTheStreamIsUnreachableThenKillAsync(durability);

        await using var restarted = await ApiProcess.StartAsync(ApiProcess.BuiltDll, FileSink(durability));
        await Eventually.TrueAsync(() => MissingFromOutbox(accepted).Count == 0, "every accepted event reaches the sink after the restart", TimeSpan.FromSeconds(60));
        Assert.Contains("holds 2000 events not yet delivered", restarted.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InMemoryASigkillLosesWhatTheQueueHeldAsDocumented()
    {
        var accepted = await AcceptWhileTheStreamIsUnreachableThenKillAsync("Memory");

        await using (var restarted = await ApiProcess.StartAsync(ApiProcess.BuiltDll, FileSink("Memory")))
        {
            Assert.Equal(0, await restarted.StopAsync());
        }

        // Durability=Memory keeps nothing across a crash: all 2,000 answered 200 are gone, which README says.
        Assert.Equal(accepted.Count, MissingFromOutbox(accepted).Count);
    }

    private async Task<List<string>> AcceptWhileTheStreamIsUnreachableThenKillAsync(string durability)
    {
        var accepted = new List<string>();
        await using var api = await ApiProcess.StartAsync(ApiProcess.BuiltDll, UnreachableStream(durability));
        using var client = Client(api);
        for (var request = 0; request < 40; request++)
        {
            var ids = Enumerable.Range(0, 50).Select(i => $"{durability}-{request}-{i}").ToList();
            using var response = await client.PostAsync("/v1/batch", Http.Json(Batch(ids)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            accepted.AddRange(ids);
        }

        await api.KillAsync();
        return accepted;
    }

    private static async Task SendUntilAsync(ApiProcess api, int sender, int events, ConcurrentBag<string> accepted, CancellationToken stop)
    {
        using var client = Client(api);
        for (var sent = 0; sent < events && !stop.IsCancellationRequested; sent += 25)
        {
            var ids = Enumerable.Range(sent, 25).Select(i => $"s{sender}-{i}").ToList();
            try
            {
                using var response = await client.PostAsync("/v1/batch", Http.Json(Batch(ids)), stop);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ids.ForEach(accepted.Add);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                // The process was killed mid-request: that request got no 200, so nothing was promised.
                return;
            }
        }
    }

    private static HttpClient Client(ApiProcess api)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("k:"u8.ToArray()));
        return client;
    }

    private static string Batch(IEnumerable<string> ids) =>
        $$"""{"batch":[{{string.Join(",", ids.Select(id => $$"""{"type":"track","userId":"user-{{id.Length % 13}}","event":"Crash Test","messageId":"{{id}}"}"""))}}]}""";

    private List<string> MissingFromOutbox(IEnumerable<string> accepted)
    {
        var stored = Directory.Exists(Outbox)
            ? Support.Outbox.ReadEvents(Outbox).Select(e => e["messageId"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal)
            : [];
        return accepted.Where(id => !stored.Contains(id)).ToList();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A spool much smaller than the load, in process: 503 when full, and every event answered 200 still delivered.</summary>
public class TinySpoolTests
{
    [Fact]
    public async Task ATinySpoolAnswers503WhenFullAndDeliversEveryAcceptedEventOnceTheSinkIsBack()
    {
        var sink = new SwitchableSink();
        await using var api = new TrackingApiFactory(new Dictionary<string, string?>
        {
            ["Tracking:Spool:MaxBytes"] = "1048576",
            ["Tracking:Spool:SegmentBytes"] = "65536",
            ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.010",
            ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.050",
        }, services => services.AddSingleton<IEventSink>(sink));
        using var client = api.CreateAuthenticatedClient();

        var accepted = new List<string>();
        var statuses = new HashSet<HttpStatusCode>();
        for (var request = 0; request < 60; request++)
        {
            var ids = Enumerable.Range(0, 40).Select(i => $"tiny-{request}-{i}").ToList();
            var body = $$"""{"batch":[{{string.Join(",", ids.Select(Padded))}}]}""";
            using var response = await client.PostAsync("/v1/batch", Http.Json(body));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted.AddRange(ids);
            }
            else
            {
                await response.ProblemAsync(HttpStatusCode.ServiceUnavailable);
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable], statuses.Order());
        sink.Down = false;
        await Eventually.TrueAsync(() => { lock (sink.Delivered) { return accepted.All(sink.Delivered.Contains); } }, "every accepted event is delivered");
        Assert.Equal(accepted.Order(), sink.Delivered.Order());
    }

    private static string Padded(string id) =>
        "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"messageId\":\"" + id + "\",\"properties\":{\"pad\":\"" + new string('x', 500) + "\"}}";
}
