using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;
using Tracking.Api.Enrichment;
using Tracking.Api.Ingestion;
using Tracking.Api.Telemetry;
using Tracking.Events;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Tests.Unit;

/// <summary>
/// The request's trace context on each event: stamped last while a tracer listens to the API's source, read back
/// without parsing, never stamped otherwise, and never taken from the client. One class, so the listener one test
/// attaches (process-wide) is never attached while another test of it expects none.
/// </summary>
public sealed class TraceStampTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private static readonly ActivitySource Caller = new("Tracking.Api.Tests.Caller");

    [Fact]
    public void WhileTracingIsOnEachEventEndsWithTheRequestSpansTraceparentWhichReadsBackToTheSameContext()
    {
        using var listener = Listen(TelemetryNames.ApiActivitySource, Caller.Name);
        using var request = Caller.StartActivity("POST /v1/batch", ActivityKind.Server)!;

        var json = Enrich("""{"batch":[{"type":"track","userId":"u","event":"E","properties":{"a":1},"channel":"web"}]}""");

        var text = Encoding.UTF8.GetString(json);
        Assert.EndsWith($",\"traceparent\":\"{request.Id}\"}}", text, StringComparison.Ordinal);
        Assert.Equal("web", JsonNode.Parse(json)!["channel"]!.GetValue<string>());
        Assert.True(EventTrace.TryRead(json, out var context));
        Assert.Equal(request.TraceId, context.TraceId);
        Assert.Equal(request.SpanId, context.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);

        // As the File and Firehose sinks write it: one line with its newline.
        Assert.True(EventTrace.TryRead([.. json, (byte)'\n'], out var line));
        Assert.Equal(context, line);
    }

    [Fact]
    public void WithoutAListenerOnTheApisSourceNothingIsStampedEvenInsideASampledRequest()
    {
        using var listener = Listen(Caller.Name);
        using var request = Caller.StartActivity("POST /v1/batch", ActivityKind.Server)!;
        Assert.True(request.Recorded);

        var json = Enrich("""{"type":"track","userId":"u","event":"E"}""", EventType.Track);

        Assert.DoesNotContain("traceparent", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.False(EventTrace.TryRead(json, out _));
    }

    [Fact]
    public void WithTracingOffThePerRequestAndPerBatchHooksAllocateNothing()
    {
        using var listener = Listen(Caller.Name);
        using var request = Caller.StartActivity("POST /v1/batch", ActivityKind.Server)!;
        var batch = Enumerable.Range(0, 500).Select(i => new EnrichedEvent(Encoding.UTF8.GetBytes($"{{\"userId\":\"u{i}\"}}"), $"m{i}", "u")).ToList();
        _ = TrackingTracing.RequestTraceParent();
        _ = TrackingTracing.StartPut("Kinesis", "events", batch, 1);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Assert.Null(TrackingTracing.RequestTraceParent());
            Assert.Null(TrackingTracing.StartPut("Kinesis", "events", batch, 1));
            TrackingTracing.TagRequest("web", 1, 0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Empty(request.TagObjects);
    }

    [Fact]
    public void AClientsOwnTopLevelTraceparentIsDroppedAndOneInsidePropertiesIsKeptButNeverReadAsTheStamp()
    {
        var forged = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var json = Enrich($$$"""{"type":"track","userId":"u","event":"E","traceparent":"{{{forged}}}","properties":{"traceparent":"{{{forged}}}"}}""", EventType.Track);

        var node = JsonNode.Parse(json)!.AsObject();
        Assert.False(node.ContainsKey("traceparent"));
        Assert.Equal(forged, node["properties"]!["traceparent"]!.GetValue<string>());
        Assert.False(EventTrace.TryRead(json, out _));

        // The last member of a nested object, or a string that spells the member out, is not the root's last member.
        Assert.False(EventTrace.TryRead(Encoding.UTF8.GetBytes($$$"""{"userId":"u","properties":{"x":1,"traceparent":"{{{forged}}}"}}"""), out _));
        Assert.False(EventTrace.TryRead(Encoding.UTF8.GetBytes($$"""{"userId":"u","note":"\",\"traceparent\":\"{{forged}}\"}"""), out _));
        Assert.True(EventTrace.TryRead(Encoding.UTF8.GetBytes($$"""{"userId":"u","traceparent":"{{forged}}"}"""), out _));
    }

    [Theory]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    public void AMalformedStampIsNotRead(string traceParent)
    {
        Assert.False(EventTrace.TryRead(Encoding.UTF8.GetBytes($$"""{"userId":"u","traceparent":"{{traceParent}}"}"""), out _));
    }

    [Fact]
    public void APutLinksOnceToEachRequestOfItsBatchAndToNoMoreThanTheSdksLimit()
    {
        var events = new List<EnrichedEvent>();
        var requests = Enumerable.Range(0, TrackingTracing.MaxLinks + 20).Select(_ => new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded)).ToList();
        foreach (var request in requests)
        {
            for (var i = 0; i < 3; i++)
            {
                var stamp = $"00-{request.TraceId.ToHexString()}-{request.SpanId.ToHexString()}-01";
                events.Add(new EnrichedEvent(Encoding.UTF8.GetBytes($$"""{"userId":"u{{i}}","traceparent":"{{stamp}}"}"""), $"m{events.Count}", "u"));
            }
        }

        events.Add(new EnrichedEvent(Encoding.UTF8.GetBytes("""{"userId":"unstamped"}"""), "m-last", "u"));

        var links = TrackingTracing.RequestLinks(events);

        Assert.Equal(TrackingTracing.MaxLinks, links.Count);
        Assert.Equal(requests.Take(TrackingTracing.MaxLinks).Select(r => (r.TraceId, r.SpanId)), links.Select(l => (l.Context.TraceId, l.Context.SpanId)));
        Assert.Empty(TrackingTracing.RequestLinks([events[^1]]));
    }

    private static byte[] Enrich(string json, EventType? type = null)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var request = type is { } t ? MessageParser.ParseSingle(body, t) : MessageParser.ParseBatch(body);
        var enricher = new EventEnricher(Options.Create(new ClientIpOptions()));
        using var scratch = new EventEnricher.Scratch();
        var meta = enricher.Describe(new DefaultHttpContext(), ReceivedAt, "web");
        return enricher.Enrich(request.Messages[0], request, meta, scratch).Json;
    }

    private static ActivityListener Listen(params string[] sources)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
