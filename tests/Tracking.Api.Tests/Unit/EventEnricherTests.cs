using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Tracking.Api.Enrichment;
using Tracking.Api.Ingestion;
using Tracking.Events;

namespace Tracking.Api.Tests.Unit;

public class EventEnricherTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 21, 12, 0, 0, 500, TimeSpan.Zero);

    private static JsonObject Enrich(string json, EventType? type = EventType.Track, bool anonymize = false, string? ip = "203.0.113.7", string? userAgent = "Mozilla/5.0")
    {
        var body = Encoding.UTF8.GetBytes(json);
        var request = type is { } t ? MessageParser.ParseSingle(body, t) : MessageParser.ParseBatch(body);
        var enricher = new EventEnricher(Options.Create(new ClientIpOptions { Anonymize = anonymize }));
        using var scratch = new EventEnricher.Scratch();
        var enriched = enricher.Enrich(request.Messages[0], request, new RequestMetadata(ReceivedAt, ip, userAgent, "web"), scratch);
        var node = JsonNode.Parse(enriched.Json)!.AsObject();
        Assert.Equal(node["messageId"]!.GetValue<string>(), enriched.MessageId);
        return node;
    }

    private static string Text(JsonNode? node) => node!.GetValue<string>();

    [Fact]
    public void ClockSkewIsCorrectedWhenTheClientSendsTimestampAndSentAt()
    {
        // The device's clock is an hour behind: it says the event happened 3 s before it sent it.
        var e = Enrich("""{"userId":"u","event":"E","timestamp":"2026-11-21T11:00:00.000Z","sentAt":"2026-11-21T11:00:03.000Z"}""");

        Assert.Equal("2026-11-21T11:59:57.500Z", Text(e["timestamp"]));
        Assert.Equal("2026-11-21T11:00:00.000Z", Text(e["originalTimestamp"]));
        Assert.Equal("2026-11-21T11:00:03.000Z", Text(e["sentAt"]));
        Assert.Equal("2026-11-21T12:00:00.500Z", Text(e["receivedAt"]));
    }

    [Fact]
    public void OffsetsAreHonouredWhenCorrectingSkew()
    {
        var e = Enrich("""{"userId":"u","event":"E","timestamp":"2026-11-21T13:00:00+02:00","sentAt":"2026-11-21T11:00:10Z"}""");

        Assert.Equal("2026-11-21T11:59:50.500Z", Text(e["timestamp"]));
    }

    [Fact]
    public void ATimestampWithoutSentAtIsKeptAsTheClientGaveIt()
    {
        var e = Enrich("""{"userId":"u","event":"E","timestamp":"2025-01-05T08:00:00Z"}""");

        Assert.Equal("2025-01-05T08:00:00.000Z", Text(e["timestamp"]));
        Assert.Equal("2025-01-05T08:00:00.000Z", Text(e["originalTimestamp"]));
        Assert.Null(e["sentAt"]);
    }

    [Fact]
    public void NoTimestampMeansTheServersReceiveTime()
    {
        var e = Enrich("""{"userId":"u","event":"E","sentAt":"2026-11-21T11:00:03Z"}""");

        Assert.Equal("2026-11-21T12:00:00.500Z", Text(e["timestamp"]));
        Assert.Null(e["originalTimestamp"]);
    }

    [Fact]
    public void AnOriginalTimestampStandsInForAMissingTimestamp()
    {
        var e = Enrich("""{"userId":"u","event":"E","originalTimestamp":"2026-11-21T11:00:00Z","sentAt":"2026-11-21T11:00:01Z"}""");

        Assert.Equal("2026-11-21T11:59:59.500Z", Text(e["timestamp"]));
        Assert.Equal("2026-11-21T11:00:00.000Z", Text(e["originalTimestamp"]));
    }

    [Fact]
    public void TheBatchsSentAtCorrectsMessagesWithoutTheirOwn()
    {
        var e = Enrich("""{"batch":[{"type":"track","userId":"u","event":"E","timestamp":"2026-11-21T11:00:00Z"}],"sentAt":"2026-11-21T11:00:02Z"}""", type: null);

        Assert.Equal("2026-11-21T11:59:58.500Z", Text(e["timestamp"]));
        Assert.Equal("2026-11-21T11:00:02.000Z", Text(e["sentAt"]));
    }

    [Fact]
    public void AGivenMessageIdIsKept()
    {
        Assert.Equal("client-id-1", Text(Enrich("""{"userId":"u","event":"E","messageId":"client-id-1"}""")["messageId"]));
    }

    [Fact]
    public void AMissingMessageIdIsGeneratedUniquely()
    {
        var first = Text(Enrich("""{"userId":"u","event":"E"}""")["messageId"]);
        var second = Text(Enrich("""{"userId":"u","event":"E"}""")["messageId"]);

        Assert.True(Guid.TryParse(first, out _));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void TheConnectionsIpAndUserAgentAreAddedWhenTheClientSentNone()
    {
        var context = Enrich("""{"userId":"u","event":"E","context":{"locale":"de-DE"}}""")["context"]!;

        Assert.Equal("203.0.113.7", Text(context["ip"]));
        Assert.Equal("Mozilla/5.0", Text(context["userAgent"]));
        Assert.Equal("de-DE", Text(context["locale"]));
    }

    [Fact]
    public void TheClientsOwnIpAndUserAgentAreKept()
    {
        var context = Enrich("""{"userId":"u","event":"E","context":{"ip":"198.51.100.1","userAgent":"iOS/17"}}""")["context"]!;

        Assert.Equal("198.51.100.1", Text(context["ip"]));
        Assert.Equal("iOS/17", Text(context["userAgent"]));
        Assert.Equal(2, context.AsObject().Count);
    }

    [Fact]
    public void AnonymizationTruncatesTheClientsIpToo()
    {
        var context = Enrich("""{"userId":"u","event":"E","context":{"ip":"198.51.100.123"}}""", anonymize: true)["context"]!;

        Assert.Equal("198.51.100.0", Text(context["ip"]));
    }

    [Fact]
    public void AContextIsWrittenEvenWhenTheClientSentNone()
    {
        var context = Enrich("""{"userId":"u","event":"E"}""", ip: null, userAgent: null)["context"]!;

        Assert.Empty(context.AsObject());
    }

    [Fact]
    public void BatchContextFillsWhatTheMessagesContextLeavesOut()
    {
        var e = Enrich("""
            {"batch":[{"type":"track","userId":"u","event":"E","context":{"locale":"fr","app":{"v":"2"}}}],
             "context":{"locale":"en","library":{"name":"analytics-python"},"ip":"192.0.2.9"}}
            """, type: null);

        var context = e["context"]!;
        Assert.Equal("fr", Text(context["locale"]));
        Assert.Equal("analytics-python", Text(context["library"]!["name"]));
        Assert.Equal("2", Text(context["app"]!["v"]));
        Assert.Equal("192.0.2.9", Text(context["ip"]));
    }

    [Fact]
    public void BatchIntegrationsApplyToMessagesWithoutTheirOwn()
    {
        var e = Enrich("""{"batch":[{"type":"track","userId":"u","event":"E"}],"integrations":{"All":false}}""", type: null);

        Assert.False(e["integrations"]!["All"]!.GetValue<bool>());
    }

    [Fact]
    public void TheSourceNameIsStampedAndTheWriteKeyNeverStored()
    {
        var e = Enrich("""{"userId":"u","event":"E","writeKey":"secret-key"}""");

        Assert.Equal("web", Text(e["source"]));
        Assert.DoesNotContain("secret-key", e.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectsAndUnknownFieldsSurviveByteForByte()
    {
        var e = Enrich("""{"userId":"u","event":"E","properties":{"price":19.90,"tags":["a","ü"],"nested":{"deep":null}},"channel":"mobile"}""");

        Assert.Equal("""{"price":19.90,"tags":["a","ü"],"nested":{"deep":null}}""", e["properties"]!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.Equal("mobile", Text(e["channel"]));
    }

    [Fact]
    public void ThePartitionKeyFollowsTheDeviceFirst()
    {
        var body = Encoding.UTF8.GetBytes("""{"userId":"u1","anonymousId":"device-9","event":"E"}""");
        var request = MessageParser.ParseSingle(body, EventType.Track);
        var enricher = new EventEnricher(Options.Create(new ClientIpOptions()));
        using var scratch = new EventEnricher.Scratch();

        Assert.Equal("device-9", enricher.Enrich(request.Messages[0], request, new RequestMetadata(ReceivedAt, null, null, "s"), scratch).PartitionKey);
    }

    [Theory]
    [InlineData("10:00:00", "10:00:05", "12:00:00", "11:59:55")]
    [InlineData("10:00:05", "10:00:00", "12:00:00", "12:00:05")]
    [InlineData("10:00:00", null, "12:00:00", "10:00:00")]
    [InlineData(null, "10:00:00", "12:00:00", "12:00:00")]
    [InlineData(null, null, "12:00:00", "12:00:00")]
    public void CorrectedTimestampFollowsTheFormula(string? timestamp, string? sentAt, string receivedAt, string expected)
    {
        static DateTimeOffset? At(string? time) => time is null ? null : DateTimeOffset.Parse($"2026-11-21T{time}Z", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(At(expected), EventEnricher.CorrectedTimestamp(At(timestamp), At(sentAt), At(receivedAt)!.Value));
    }
}
