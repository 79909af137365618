using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;
using Tracking.Testing.Telemetry;
using Tracking.Testing.Telemetry.Otlp;
using Xunit.Abstractions;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// OpenTelemetry end to end: the API (Kinesis sink on kinesalite) and the consumer (PostgreSQL) run as real processes
/// whose OTLP exporters, configured only by the standard <c>OTEL_*</c> variables, send over HTTP/protobuf to a
/// collector in the test, which decodes what arrives.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed partial class TelemetryTests(PostgresServer postgres, KinesaliteFixture kinesalite, ITestOutputHelper output)
{
    private const string WriteKey = "telemetry-tests-key";
    private const int Requests = 3;
    private const int EventsPerRequest = 10;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task EachRequestCanBeFollowedThroughTheSinkPutToTheWarehouseLoadInTheSpansThatArriveOverOtlp()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("otel"));
        await using var api = ConsumerProcess.Start(ConsumerProcess.ApiAssemblyPath, ApiSettings(stream.Name), collector.ExporterEnvironment("api-under-test"));
        var apiUrl = new Uri((await api.WaitForOutputAsync(ListeningLine(), Patience)).Groups[1].Value);
        await using var consumer = ConsumerProcess.Start(
            ConsumerProcess.AssemblyPath,
            ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-otel"),
            collector.ExporterEnvironment("consumer-under-test"));

        // Each request carries a traceparent of the test's own, so its server span is known by trace id.
        var callers = Enumerable.Range(0, Requests).Select(_ => (TraceId: ActivityTraceId.CreateRandom(), SpanId: ActivitySpanId.CreateRandom())).ToList();
        using var http = new HttpClient { BaseAddress = apiUrl };
        for (var i = 0; i < Requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = new StringContent(Batch(i), Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{WriteKey}:")));
            request.Headers.Add("traceparent", $"00-{callers[i].TraceId.ToHexString()}-{callers[i].SpanId.ToHexString()}-01");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await warehouse.WaitForEventCountAsync(Requests * EventsPerRequest, Patience, consumer);

        // The ingestion requests: ASP.NET Core's server spans, continuing the callers' traces, tagged with what was accepted.
        var requestSpans = new List<ReceivedSpan>();
        foreach (var (traceId, spanId) in callers)
        {
            var span = await collector.WaitForSpanAsync(
                s => s.TraceId == traceId.ToHexString() && s.Kind == Span.Types.SpanKind.Server, Patience, $"server span of trace {traceId}");
            output.WriteLine($"request: {span}");
            Assert.Equal("api-under-test", span.Service);
            Assert.Equal(spanId.ToHexString(), span.ParentSpanId);
            Assert.Equal("POST /v1/batch", span.Name);
            Assert.Equal("/v1/batch", span.Attributes["http.route"]);
            Assert.Equal(200L, span.Attributes["http.response.status_code"]);
            Assert.Equal("tests", span.Attributes["tracking.source"]);
            Assert.Equal((long)EventsPerRequest, span.Attributes["tracking.events.accepted"]);
            requestSpans.Add(span);
        }

        // The puts to the stream, linked to every request whose events they carried.
        await WaitUntilLinkedAsync(collector, "tracking.sink.put", requestSpans);
        await WaitUntilSummedAsync(collector, "tracking.sink.put", "messaging.batch.message_count", Requests * EventsPerRequest, s => s.Links.Count > 0);
        var puts = collector.Spans.Where(s => s.Name == "tracking.sink.put").ToList();
        foreach (var put in puts)
        {
            output.WriteLine($"put: {put}");
            Assert.Equal("api-under-test", put.Service);
            Assert.Equal("Tracking.Api", put.Scope);
            Assert.Equal(Span.Types.SpanKind.Producer, put.Kind);
            Assert.Equal("Kinesis", put.Attributes["tracking.sink"]);
            Assert.Equal("aws_kinesis", put.Attributes["messaging.system"]);
            Assert.Equal(stream.Name, put.Attributes["messaging.destination.name"]);
            Assert.Equal(string.Empty, put.ParentSpanId);
        }

        Assert.Equal((long)(Requests * EventsPerRequest), puts.Where(p => p.Links.Count > 0).Sum(p => (long)p.Attributes["messaging.batch.message_count"]!));

        // The loads into the warehouse, linked to the same requests through the trace context carried in the records.
        await WaitUntilLinkedAsync(collector, "tracking.consumer.load", requestSpans);
        await WaitUntilSummedAsync(collector, "tracking.consumer.load", "tracking.rows.inserted", Requests * EventsPerRequest);
        var loads = collector.Spans.Where(s => s.Name == "tracking.consumer.load").ToList();
        foreach (var load in loads)
        {
            output.WriteLine($"load: {load}");
            Assert.Equal("consumer-under-test", load.Service);
            Assert.Equal("Tracking.Consumer", load.Scope);
            Assert.Equal(Span.Types.SpanKind.Consumer, load.Kind);
            Assert.Equal("committed", load.Attributes["tracking.load.outcome"]);
            Assert.Equal(stream.Name, load.Attributes["messaging.destination.name"]);
            Assert.StartsWith("shardId-", (string)load.Attributes["tracking.shard.id"]!, StringComparison.Ordinal);
        }

        Assert.Equal((long)(Requests * EventsPerRequest), loads.Sum(l => (long)l.Attributes["tracking.rows.inserted"]!));

        // Npgsql's command spans sit under a load; the AWS calls are HttpClient spans.
        var loadIds = loads.Select(l => l.SpanId).ToHashSet();
        var command = await collector.WaitForSpanAsync(s => s.Scope == "Npgsql" && loadIds.Contains(s.ParentSpanId), Patience, "Npgsql span under a load");
        output.WriteLine($"command: {command}");
        await collector.WaitForSpanAsync(s => s.Service == "api-under-test" && s.Kind == Span.Types.SpanKind.Client && s.Attributes.ContainsKey("http.request.method"), Patience, "HttpClient span of the API");

        // Metrics: ours, ASP.NET Core's, the runtime's, from both services.
        await collector.WaitForMetricAsync(m => m.Service == "api-under-test" && m.Name == "tracking.events.accepted" && m.Total >= Requests * EventsPerRequest, Patience, "tracking.events.accepted");
        await collector.WaitForMetricAsync(m => m.Service == "api-under-test" && m.Name == "http.server.request.duration", Patience, "http.server.request.duration");
        await collector.WaitForMetricAsync(m => m.Service == "api-under-test" && m.Name.StartsWith("dotnet.", StringComparison.Ordinal), Patience, "a runtime metric");
        await collector.WaitForMetricAsync(m => m.Service == "consumer-under-test" && m.Name == "consumer.rows.loaded" && m.Total >= Requests * EventsPerRequest, Patience, "consumer.rows.loaded");
        await collector.WaitForLogsAsync(Patience);
        Assert.Empty(collector.Refused);

        // The trace context rode in the records but is no part of the rows.
        Assert.Equal(0, await warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        Assert.Equal(0, await warehouse.ScalarAsync<long>("SELECT count(*) FROM events WHERE strpos(context::text || coalesce(properties::text, ''), 'traceparent') > 0"));
    }

    [Fact]
    public async Task AMalformedOtlpEndpointOrProtocolStopsBothAppsAtStartWithALineNamingIt()
    {
        await using var api = ConsumerProcess.Start(
            ConsumerProcess.ApiAssemblyPath,
            new Dictionary<string, string> { ["urls"] = "http://127.0.0.1:0", [$"Tracking:WriteKeys:{WriteKey}"] = "tests" },
            new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "collector:4318" });
        await using var consumer = ConsumerProcess.Start(
            ConsumerProcess.AssemblyPath,
            ConsumerProcess.Settings(kinesalite.ServiceUrl, "any-stream", "Host=127.0.0.1;Port=1;Database=none", "worker-otel"),
            new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318", ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http" });

        await api.WaitForExitAsync(Patience);
        await consumer.WaitForExitAsync(Patience);

        Assert.Equal(2, api.ExitCode);
        Assert.Contains(api.Lines, l => l.StartsWith("Tracking.Api cannot start: OTEL_EXPORTER_OTLP_ENDPOINT 'collector:4318' is not an absolute http:// or https:// URL", StringComparison.Ordinal));
        Assert.Equal(2, consumer.ExitCode);
        Assert.Contains(consumer.Lines, l => l.StartsWith("Tracking.Consumer cannot start: OTEL_EXPORTER_OTLP_PROTOCOL 'http' is not one this exporter speaks", StringComparison.Ordinal));
    }

    private static Task WaitUntilLinkedAsync(OtlpReceiver collector, string name, IReadOnlyList<ReceivedSpan> requests)
    {
        var wanted = requests.Select(r => (r.TraceId, r.SpanId)).ToHashSet();
        var linked = new HashSet<(string, string)>();
        return Eventually.TrueAsync(
            () => wanted.IsSubsetOf(linked = collector.Spans.Where(s => s.Name == name).SelectMany(s => s.Links).ToHashSet()),
            $"'{name}' spans link to every request [{string.Join(", ", wanted)}]",
            Patience,
            () => $"they link to [{string.Join(", ", linked)}]:{Environment.NewLine}{string.Join(Environment.NewLine, collector.Spans)}");
    }

    /// <summary>
    /// Waits until the <paramref name="name"/> spans received (those <paramref name="counted"/>) add up to at least
    /// <paramref name="expected"/> in <paramref name="attribute"/>. Being linked to every request is not enough: one
    /// span may link them all (each shard's put or load carries events of every request) while the others, ended a
    /// moment later, are still in the exporter's next batch.
    /// </summary>
    private static Task WaitUntilSummedAsync(OtlpReceiver collector, string name, string attribute, long expected, Func<ReceivedSpan, bool>? counted = null)
    {
        List<ReceivedSpan> spans = [];
        long sum = 0;
        return Eventually.TrueAsync(
            () =>
            {
                spans = collector.Spans.Where(s => s.Name == name && (counted?.Invoke(s) ?? true)).ToList();
                sum = spans.Sum(s => (long)s.Attributes[attribute]!);
                return sum >= expected;
            },
            $"'{name}' spans add up to {expected} {attribute}",
            Patience,
            () => $"they add up to {sum}:{Environment.NewLine}{string.Join(Environment.NewLine, spans)}");
    }

    private Dictionary<string, string> ApiSettings(string streamName) => new()
    {
        ["urls"] = "http://127.0.0.1:0",
        ["Tracking:Sink"] = "Kinesis",
        ["Tracking:Kinesis:StreamName"] = streamName,
        ["Tracking:Kinesis:ServiceUrl"] = kinesalite.ServiceUrl.ToString(),
        ["Tracking:Kinesis:Region"] = "us-east-1",
        [$"Tracking:WriteKeys:{WriteKey}"] = "tests",
    };

    private static string Batch(int request)
    {
        var items = Enumerable.Range(0, EventsPerRequest).Select(i =>
            $$$"""{"type":"track","messageId":"otel-{{{request}}}-{{{i}}}","userId":"user-{{{request}}}-{{{i}}}","event":"Traced","properties":{"i":{{{i}}}}}""");
        return $$"""{"batch":[{{string.Join(",", items)}}]}""";
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
