using System.Text;
using System.Text.Json;
using Tracking.Api.Ingestion;
using Tracking.Events;

namespace Tracking.Api.Tests.Unit;

public class MessageParserTests
{
    private static ParsedRequest Single(string json, EventType type = EventType.Track) =>
        MessageParser.ParseSingle(Encoding.UTF8.GetBytes(json), type);

    private static ParsedRequest Batch(string json) => MessageParser.ParseBatch(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void ReadsEveryCommonFieldOfASingleMessage()
    {
        var parsed = Single("""
            {"messageId":"m1","userId":"u1","anonymousId":"a1","event":"E","timestamp":"2026-01-01T00:00:00Z","sentAt":"2026-01-01T00:00:01Z",
             "context":{"ip":"1.2.3.4"},"properties":{"p":1},"integrations":{"All":true},"writeKey":"wk"}
            """);

        var m = Assert.Single(parsed.Messages);
        Assert.Equal(("m1", "u1", "a1", "E"), (m.MessageId, m.UserId, m.AnonymousId, m.Event));
        Assert.Equal("2026-01-01T00:00:00Z", m.Timestamp?.Text);
        Assert.Equal("2026-01-01T00:00:01Z", m.SentAt?.Text);
        Assert.Equal("""{"ip":"1.2.3.4"}""", Encoding.UTF8.GetString(m.Context.Span));
        Assert.Equal("""{"p":1}""", Encoding.UTF8.GetString(m.Properties.Span));
        Assert.Equal("""{"All":true}""", Encoding.UTF8.GetString(m.Integrations.Span));
        Assert.Equal("wk", parsed.WriteKey);
        Assert.Equal(EventType.Track, m.Type);
        Assert.Null(m.ShapeErrors);
    }

    [Fact]
    public void TheRouteDecidesTheTypeOfASingleMessage()
    {
        var m = Assert.Single(Single("""{"type":"identify","userId":"u"}""", EventType.Page).Messages);

        Assert.Equal(EventType.Page, m.Type);
    }

    [Fact]
    public void NumericIdentifiersAreKeptAsTheirText()
    {
        var m = Assert.Single(Single("""{"userId":12345,"anonymousId":1.5e3,"event":"E"}""").Messages);

        Assert.Equal("12345", m.UserId);
        Assert.Equal("1.5e3", m.AnonymousId);
    }

    [Fact]
    public void NullFieldsCountAsAbsent()
    {
        var m = Assert.Single(Single("""{"userId":"u","event":"E","properties":null,"context":null,"timestamp":null}""").Messages);

        Assert.True(m.Properties.IsEmpty);
        Assert.True(m.Context.IsEmpty);
        Assert.Null(m.Timestamp);
        Assert.Null(m.ShapeErrors);
    }

    [Theory]
    [InlineData("""{"userId":"u","event":5}""", "event")]
    [InlineData("""{"userId":"u","event":"E","properties":[1]}""", "properties")]
    [InlineData("""{"userId":"u","event":"E","context":"x"}""", "context")]
    [InlineData("""{"userId":{"id":1},"event":"E"}""", "userId")]
    [InlineData("""{"userId":"u","event":"E","timestamp":1700000000}""", "timestamp")]
    public void AFieldOfTheWrongKindIsReportedByName(string json, string field)
    {
        var m = Assert.Single(Single(json).Messages);

        Assert.Contains(m.ShapeErrors!, e => e.Key == field);
    }

    [Fact]
    public void UnknownFieldsAreKeptVerbatimAndServerFieldsDropped()
    {
        var m = Assert.Single(Single("""{"userId":"u","event":"E","channel":"server","version":{"n":2},"receivedAt":"1999-01-01","source":"spoofed"}""").Messages);

        var other = m.OtherFields!.ToDictionary(f => f.Key, f => Encoding.UTF8.GetString(f.Value.Span));
        Assert.Equal(new Dictionary<string, string> { ["channel"] = "\"server\"", ["version"] = """{"n":2}""" }, other);
    }

    [Fact]
    public void ReadsABatchWithItsSharedFields()
    {
        var parsed = Batch("""
            {"batch":[{"type":"track","userId":"u","event":"E"},{"type":"Identify","anonymousId":"a"}],
             "sentAt":"2026-01-01T00:00:01Z","context":{"locale":"de"},"integrations":{"x":false},"writeKey":"wk","extra":[1,2]}
            """);

        Assert.Null(parsed.ShapeError);
        Assert.Equal(2, parsed.Messages.Count);
        Assert.Equal(EventType.Track, parsed.Messages[0].Type);
        Assert.Equal(EventType.Identify, parsed.Messages[1].Type);
        Assert.Equal(1, parsed.Messages[1].Index);
        Assert.Equal("2026-01-01T00:00:01Z", parsed.BatchSentAt?.Text);
        Assert.Equal("""{"locale":"de"}""", Encoding.UTF8.GetString(parsed.BatchContext.Span));
        Assert.Equal("wk", parsed.WriteKey);
    }

    [Fact]
    public void AnUnknownTypeInABatchIsKeptForTheValidatorToName()
    {
        var m = Assert.Single(Batch("""{"batch":[{"type":"purchase","userId":"u"}]}""").Messages);

        Assert.Null(m.Type);
        Assert.Equal("purchase", m.TypeName);
    }

    [Fact]
    public void BatchItemsThatAreNotObjectsAreMarked()
    {
        var parsed = Batch("""{"batch":[1,"x",{"type":"track","userId":"u","event":"E"}]}""");

        Assert.Equal([true, true, false], parsed.Messages.Select(m => m.NotAnObject));
        Assert.Equal([0, 1, 2], parsed.Messages.Select(m => m.Index));
    }

    [Fact]
    public void AnOversizedBatchItemIsSetAsideUnparsedWhileItsNeighboursAreRead()
    {
        var big = new string('x', ProtocolLimits.MaxMessageBytes);
        var parsed = Batch($$"""{"batch":[{"type":"track","userId":"u","event":"A"},{"type":"track","userId":"u","event":"{{big}}"},{"type":"track","userId":"u","event":"C"}]}""");

        Assert.Equal([1], parsed.OversizedIndexes);
        Assert.Equal(["A", "C"], parsed.Messages.Select(m => m.Event));
        Assert.Equal([0, 2], parsed.Messages.Select(m => m.Index));
    }

    [Theory]
    [InlineData("""{"sentAt":"x"}""")]
    [InlineData("""{"batch":{"type":"track"}}""")]
    [InlineData("""{"batch":[]}""")]
    [InlineData("""[{"type":"track"}]""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u","event":"E"}],"sentAt":"yesterday"}""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u","event":"E"}],"sentAt":17}""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u","event":"E"}],"context":"web"}""")]
    [InlineData("""{"batch":[{"type":"track","userId":"u","event":"E"}],"integrations":[]}""")]
    public void ABodyNotShapedLikeABatchHasAShapeError(string json)
    {
        Assert.NotNull(Batch(json).ShapeError);
    }

    [Theory]
    [InlineData("""{"userId":"u","event": }""", 1, 24)]
    [InlineData("{\n  \"userId\": \"u\",\n  \"event\" \"E\"\n}", 3, 11)]
    [InlineData("""{"userId":"u"} trailing""", 1, 16)]
    [InlineData("", 1, 1)]
    public void MalformedJsonThrowsWithTheLineAndByteWhereItBroke(string json, int line, int bytePosition)
    {
        var ex = Assert.ThrowsAny<JsonException>(() => Single(json));

        Assert.Equal(line, ex.LineNumber + 1);
        Assert.Equal(bytePosition, ex.BytePositionInLine + 1);
    }

    [Fact]
    public void NestingDeeperThanSixtyFourLevelsIsMalformed()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);

        Assert.ThrowsAny<JsonException>(() => Single($$"""{"userId":"u","event":"E","properties":{{deep}}}"""));
    }
}
