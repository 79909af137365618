using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tracking.Api.Delivery;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>A public write key in an attacker's hands: what one client can cost the API, and what it cannot take from others.</summary>
public class AbuseLimitTests
{
    private const string Plain = """{"type":"track","userId":"u","event":"e"}""";

    /// <summary>The amplification body: 4,000 tiny messages sharing a 23,000-member context, about 479 KB.</summary>
    private static string AmplifyingBatch()
    {
        var members = string.Join(",", Enumerable.Range(0, 23_000).Select(i => $"\"k{i}\":{i % 10}"));
        return $$"""{"context":{{{members}}},"batch":[{{string.Join(",", Enumerable.Repeat("""{"type":"track","userId":"u","event":"e","context":{}}""", 4_000))}}]}""";
    }

    /// <summary>A plain batch of about the same size, every message accepted.</summary>
    private static string PlainBatch(int bytes)
    {
        var message = """{"type":"track","userId":"user-1234","event":"Order Completed","properties":{"revenue":49.9,"currency":"EUR"}}""";
        return $$"""{"batch":[{{string.Join(",", Enumerable.Repeat(message, bytes / (message.Length + 1)))}}]}""";
    }

    [Fact]
    public async Task TheAmplifyingBatchIsRefusedForNoMoreCpuThanAPlainBatchOfItsSize()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?> { ["Tracking:Queue:MaxEvents"] = "1000000" });
        using var client = api.CreateAuthenticatedClient();
        var amplifying = AmplifyingBatch();
        var plain = PlainBatch(Encoding.UTF8.GetByteCount(amplifying));
        await client.PostAsync("/v1/batch", Http.Json(plain)); // warm up

        // CPU time of the process, not wall time: the machine is shared. Best of three of each, measured in the same run.
        var plainCpu = TimeSpan.MaxValue;
        var amplifyingCpu = TimeSpan.MaxValue;
        HttpResponseMessage refused = null!;
        for (var i = 0; i < 3; i++)
        {
            var (ok, cpu) = await MeasureAsync(client, plain);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            plainCpu = cpu < plainCpu ? cpu : plainCpu;
            (refused, cpu) = await MeasureAsync(client, amplifying);
            amplifyingCpu = cpu < amplifyingCpu ? cpu : amplifyingCpu;
        }

        var problem = await refused.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("2048000", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(amplifyingCpu < plainCpu * 3 + TimeSpan.FromMilliseconds(20),
            $"the amplifying batch took {amplifyingCpu.TotalMilliseconds:0} ms of CPU, a plain batch of its size {plainCpu.TotalMilliseconds:0} ms");
    }

    private static async Task<(HttpResponseMessage Response, TimeSpan Cpu)> MeasureAsync(HttpClient client, string body)
    {
        using var content = Http.Json(body);
        await content.LoadIntoBufferAsync();
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        var response = await client.PostAsync("/v1/batch", content);
        await response.Content.LoadIntoBufferAsync();
        process.Refresh();
        return (response, process.TotalProcessorTime - before);
    }

    [Fact]
    public async Task OneAddressOverItsRateGetsA429WhileAnotherAddressWithTheSameKeyIsServed()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?>
        {
            ["Tracking:RateLimit:PerAddressPermitsPerSecond"] = "3",
            ["Tracking:ClientIp:TrustedProxies:0"] = "127.0.0.1",
        });
        using var client = api.CreateAuthenticatedClient();

        var flooder = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            flooder.Add((await SendAsync(client, "/v1/track", "203.0.113.7")).StatusCode);
        }

        using var limited = await SendAsync(client, "/v1/track", "203.0.113.7");
        using var other = await SendAsync(client, "/v1/track", "198.51.100.20");
        using var metrics = await SendAsync(client, "/v1/m", "203.0.113.7", """{"series":[]}""");

        Assert.Contains(HttpStatusCode.OK, flooder);
        var problem = await limited.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("client address", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        await metrics.ProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task FromAPeerThatIsNotTrustedAForgedForwardedForDoesNotEscapeTheAddressLimit()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?>
        {
            ["Tracking:RateLimit:PerAddressPermitsPerSecond"] = "3",
            ["Tracking:ClientIp:TrustPrivateNetworks"] = "false",
        });
        using var client = api.CreateAuthenticatedClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await SendAsync(client, "/v1/track", $"198.51.100.{i}");
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string forwardedFor, string body = """{"userId":"u","event":"E"}""")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Http.Json(body) };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }

    [Fact]
    public async Task AFullQueueAnswers503BeforeTheBodyIsSent()
    {
        var sink = new SwitchableSink();
        await using var api = new TrackingApiFactory(new Dictionary<string, string?> { ["Tracking:Spool:Durability"] = "Memory", ["Tracking:Queue:MaxEvents"] = "2" }, services => services.AddSingleton<IEventSink>(sink));
        using var client = api.CreateAuthenticatedClient();
        while ((await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""))).StatusCode == HttpStatusCode.OK)
        {
        }

        // Headers of a 400 KB body, and not a byte of it: the answer must come without waiting for the body.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, new Uri(api.ClientOptions.BaseAddress.ToString()).Port);
        var stream = tcp.GetStream();
        var headers = $"POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nAuthorization: {client.DefaultRequestHeaders.Authorization}\r\nContent-Type: application/json\r\nContent-Length: 400000\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(headers));
        var answer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stream.ReadAsync(answer, timeout.Token);

        var text = Encoding.ASCII.GetString(answer, 0, read);
        Assert.StartsWith("HTTP/1.1 503", text, StringComparison.Ordinal);
        Assert.Contains("Retry-After:", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ReadinessPolledWhileUnreadyIsLoggedOncePerChangeAndNeverAsAnErrorPerPoll()
    {
        var sink = new SwitchableSink();
        var logs = new CapturedLogs();
        await using var api = new TrackingApiFactory(new Dictionary<string, string?>
        {
            ["Tracking:Spool:Durability"] = "Memory",
            ["Tracking:Queue:MaxEvents"] = "1",
            ["Tracking:Batching:RetryBaseDelay"] = "00:00:00.010",
            ["Tracking:Batching:RetryMaxDelay"] = "00:00:00.050",
        }, services =>
        {
            services.AddSingleton<IEventSink>(sink);
            services.AddSingleton<ILoggerProvider>(logs);
        });
        using var client = api.CreateAuthenticatedClient();
        await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""));
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, "readiness reports the failing sink");

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        }

        sink.Down = false;
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "ready again");

        Assert.Single(logs.Entries, e => e.Message.StartsWith("Not ready", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }
}
