using System.Text;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Loading;

namespace Tracking.Consumer.Tests.Unit;

public sealed class EventRecordsTests
{
    [Fact]
    public void TheApisTraceStampIsNoPartOfTheRow()
    {
        const string Event = """{"type":"track","messageId":"m1","userId":"u","event":"E","properties":{"a":1},"context":{"ip":"1.2.3.4"},"receivedAt":"2026-11-30T06:00:01Z","source":"web"}""";
        var (plain, _) = Parse(Event);
        var (stamped, dead) = Parse(Event[..^1] + ""","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}""");

        Assert.Null(dead);
        Assert.Equal(plain! with { Payload = default }, stamped! with { Payload = default });
    }

    [Fact]
    public void AnEnrichedEventBecomesARowWithTypedColumnsAndJsonKeptAsText()
    {
        var (row, dead) = Parse("""
            {"type":"identify","messageId":"m1","userId":42,"anonymousId":"a1","traits":{"plan":"pro"},"context":{"ip":"1.2.3.4"},
             "timestamp":"2026-11-30T06:00:00.123Z","originalTimestamp":"2026-11-30T07:00:00+01:00","sentAt":null,
             "receivedAt":"2026-11-30T06:00:01Z","source":"ios","integrations":{"All":true}}
            """);

        Assert.Null(dead);
        Assert.NotNull(row);
        Assert.Equal("m1", row.MessageId);
        Assert.Equal("identify", row.Type);
        Assert.Equal("42", row.UserId);
        Assert.Equal("""{"plan":"pro"}""", row.Traits);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 6, 0, 0, 123, TimeSpan.Zero), row.Timestamp);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero), row.OriginalTimestamp);
        Assert.Equal(TimeSpan.Zero, row.OriginalTimestamp!.Value.Offset);
        Assert.Null(row.SentAt);
        Assert.Null(row.Properties);
        Assert.Equal("ios", row.Source);
    }

    [Fact]
    public void ARecordWithoutMessageIdGetsTheSameIdOnEveryReplay()
    {
        var first = Parse("""{"type":"track","event":"x"}""", "42").Row!;
        var replay = Parse("""{"type":"track","event":"x"}""", "42").Row!;
        var other = Parse("""{"type":"track","event":"x"}""", "43").Row!;

        Assert.Equal(first.MessageId, replay.MessageId);
        Assert.NotEqual(first.MessageId, other.MessageId);
        Assert.Equal(EventRecords.DerivedMessageId("events", "shardId-000000000000", "42"), first.MessageId);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("\"a string\"", "not a JSON object")]
    [InlineData("[{}]", "not a JSON object")]
    [InlineData("""{"messageId":"m","properties":{"k":"\u0000"}}""", "\\u0000")]
    [InlineData("""{"messageId":"m","traits":{"\u0000":1}}""", "\\u0000")]
    [InlineData("""{"messageId":"m","userId":"a\u0000"}""", "\\u0000")]
    [InlineData("""{"messageId":"m","context":{"k":["\udc00"]}}""", "surrogate")]
    [InlineData("""{"messageId":"m","timestamp":"soon"}""", "timestamp")]
    [InlineData("""{"messageId":"m","receivedAt":12}""", "receivedAt")]
    public void RecordsTheWarehouseCannotHoldAreDeadLettersWithTheirBytesAndAReason(string json, string reason)
    {
        var (row, dead) = Parse(json);

        Assert.Null(row);
        Assert.NotNull(dead);
        Assert.Contains(reason, dead.Reason, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetBytes(json), dead.Payload.ToArray());
        Assert.Equal("42", dead.SequenceNumber);
    }

    [Fact]
    public void AMessageIdLongerThanTheKeyIndexAllowsIsADeadLetter()
    {
        var (row, dead) = Parse($$"""{"messageId":"{{new string('m', EventRecords.MaxMessageIdLength + 1)}}"}""");

        Assert.Null(row);
        Assert.Contains("messageId", dead!.Reason, StringComparison.Ordinal);
        Assert.NotNull(Parse($$"""{"messageId":"{{new string('m', EventRecords.MaxMessageIdLength)}}"}""").Row);
    }

    private static (EventRow? Row, DeadLetter? DeadLetter) Parse(string json, string sequenceNumber = "42") =>
        EventRecords.Parse("events", "shardId-000000000000", new KinesisRecord { SequenceNumber = sequenceNumber, PartitionKey = "k", Data = Encoding.UTF8.GetBytes(json) });
}
