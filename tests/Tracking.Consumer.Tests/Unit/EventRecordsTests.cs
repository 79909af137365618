using System.Globalization;
using System.Text;
using System.Text.Json;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Xunit.Abstractions;

namespace Tracking.Consumer.Tests.Unit;

public sealed class EventRecordsTests(ITestOutputHelper output)
{
    private const string Good = """{"type":"track","messageId":"m1","userId":"u","event":"E","properties":{"a":"x"},"receivedAt":"2026-11-30T06:00:01.000Z"}""";

    [Fact]
    public void ARecordWithBytesThatAreNotUtf8InsideAStringIsADeadLetterWithItsBytes()
    {
        var prefix = "{\"type\":\"track\",\"messageId\":\"m1\",\"properties\":{\"a\":\"x"u8.ToArray();
        byte[] record = [.. prefix, 0xff, 0xc3, 0x28, .. "\"}}"u8];

        var (row, dead) = Parse(record);

        Assert.Null(row);
        Assert.Contains("not UTF-8", dead!.Reason, StringComparison.Ordinal);
        Assert.Contains($"byte {prefix.Length}", dead.Reason, StringComparison.Ordinal);
        Assert.Equal(record, dead.Payload.ToArray());
    }

    [Fact]
    public void BytesThatAreNotUtf8InAKeyMakeADeadLetter()
    {
        byte[] record = [.. "{\"messageId\":\"m1\",\"properties\":{\"a"u8, 0xed, 0xa0, 0x80, .. "\":1}}"u8];

        Assert.Contains("not UTF-8", Parse(record).DeadLetter!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAsciiRecordWhoseKeyIsAnEscapedLoneSurrogateIsADeadLetter()
    {
        var (row, dead) = Parse("""{"type":"track","messageId":"m1","properties":{"\ud800":1}}""");

        Assert.Null(row);
        Assert.Contains("a key holds an unpaired UTF-16 surrogate", dead!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ARecordStartingWithAUtf8ByteOrderMarkIsLoadedAsIfItHadNone()
    {
        byte[] record = [0xef, 0xbb, 0xbf, .. Encoding.UTF8.GetBytes(Good)];

        var (row, dead) = Parse(record);

        Assert.Null(dead);
        Assert.Equal("m1", row!.MessageId);
        Assert.Equal(record, row.Payload.ToArray());
    }

    [Fact]
    public void ANumericMessageIdAndTheSameDigitsAsAStringAreOneKeyAsTheApiKeepsIdsAsTheirText()
    {
        Assert.Equal("12345", Parse("""{"messageId":12345}""").Row!.MessageId);
        Assert.Equal("12345", Parse("""{"messageId":"12345"}""").Row!.MessageId);
        Assert.Equal("12345.0", Parse("""{"messageId":12345.0}""").Row!.MessageId);
    }

    [Theory]
    [InlineData("2026-11-30T06:00:00Z", "2026-11-30T06:00:00.0000000Z")]
    [InlineData("2026-11-30T06:00:00.123Z", "2026-11-30T06:00:00.1230000Z")]
    [InlineData("2026-11-30T06:00:00.1234567Z", "2026-11-30T06:00:00.1234567Z")]
    [InlineData("2026-11-30T06:00:00.123456789Z", "2026-11-30T06:00:00.1234567Z")]
    [InlineData("2026-11-30T07:30:00+01:30", "2026-11-30T06:00:00.0000000Z")]
    [InlineData("2026-11-29T22:00:00-08:00", "2026-11-30T06:00:00.0000000Z")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.0000000Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999Z")]
    [InlineData("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.0000000Z")]
    public void TimesInTheFormTheApiWritesAndDocumentsAreReadToTheTick(string sent, string utc)
    {
        var row = Parse($$"""{"messageId":"m","timestamp":"{{sent}}"}""").Row!;

        Assert.Equal(utc, row.Timestamp!.Value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.Zero, row.Timestamp.Value.Offset);
        Assert.Null(row.UnparsedTimes);
    }

    [Theory]
    [InlineData("\"12:00\"")]
    [InlineData("\"1/2/2026\"")]
    [InlineData("\"2/1/2026 12:00\"")]
    [InlineData("\"2026-11-30\"")]
    [InlineData("\"2026-11-30T06:00:00\"")]
    [InlineData("\"2026-11-30 06:00:00Z\"")]
    [InlineData("\"2026-11-30T06:00Z\"")]
    [InlineData("\"2026-11-30t06:00:00z\"")]
    [InlineData("\"2026-02-30T00:00:00Z\"")]
    [InlineData("\"2025-02-29T00:00:00Z\"")]
    [InlineData("\"2026-11-30T24:00:00Z\"")]
    [InlineData("\"2026-12-31T23:59:60Z\"")]
    [InlineData("\"2026-11-30T06:00:00.Z\"")]
    [InlineData("\"2026-11-30T06:00:00.1234567891Z\"")]
    [InlineData("\"2026-11-30T06:00:00+14:01\"")]
    [InlineData("\"2026-11-30T06:00:00+0100\"")]
    [InlineData("\"0000-01-01T00:00:00Z\"")]
    [InlineData("\"0001-01-01T00:00:00+00:01\"")]
    [InlineData("\"9999-12-31T23:59:59-00:01\"")]
    [InlineData("\"10000-01-01T00:00:00Z\"")]
    [InlineData("\" 2026-11-30T06:00:00Z\"")]
    [InlineData("\"soon\"")]
    [InlineData("\"\"")]
    [InlineData("12")]
    [InlineData("{\"at\":\"2026-11-30T06:00:00Z\"}")]
    public void ATimeInAnyOtherFormIsNoDeadLetterButNullWithTheClientsValueKeptAsSent(string sent)
    {
        var (row, dead) = Parse($$"""{"messageId":"m","receivedAt":"2026-11-30T06:00:01Z","sentAt":{{sent}}}""");

        Assert.Null(dead);
        Assert.Null(row!.SentAt);
        Assert.NotNull(row.ReceivedAt);
        Assert.Equal($$"""{"sentAt":{{sent}}}""", row.UnparsedTimes);
    }

    [Fact]
    public void EveryUnparsedTimeIsKeptAndANullTimeIsJustNull()
    {
        var row = Parse("""{"messageId":"m","timestamp":"12:00","originalTimestamp":null,"receivedAt":"1/2/2026"}""").Row!;

        Assert.Null(row.Timestamp);
        Assert.Null(row.OriginalTimestamp);
        Assert.Null(row.ReceivedAt);
        Assert.Equal("""{"timestamp":"12:00","receivedAt":"1/2/2026"}""", row.UnparsedTimes);
    }

    [Fact]
    public void AReasonIsStorableWhateverItQuotes()
    {
        var letter = new DeadLetter("1", "bad \0 \ud800 \u0007 é 😀" + new string('x', 5000), new byte[] { 0 });

        Assert.DoesNotContain(letter.Reason, char.IsControl);
        Assert.NotEmpty(new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(letter.Reason));
        Assert.Contains("é 😀", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(DeadLetter.MaxReasonLength, letter.Reason.Length);
    }

    [Fact]
    public void ParseNeverThrowsAndGivesExactlyOneOfRowAndDeadLetterForRandomMutationsOfRealRecords()
    {
        var seed = Environment.GetEnvironmentVariable("FUZZ_SEED") is { } fixedSeed ? int.Parse(fixedSeed, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"FUZZ_SEED={seed}");
        var mutator = new RecordMutator(seed);
        var random = new Random(seed);
        var originals = Enumerable.Range(0, 50).Select(i => new TestEvent($"m-{i}", $"user-{i}", i).ToJson()).ToList();
        var rows = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var record = mutator.Mutate(originals[random.Next(originals.Count)]);
            if (random.Next(4) == 0)
            {
                record = mutator.Mutate(record);
            }

            var (row, dead) = Parse(record);

            Assert.True(row is null != dead is null, $"seed {seed}, input {Convert.ToHexString(record)}");
            if (row is not null)
            {
                rows++;
                Assert.True(System.Text.Unicode.Utf8.IsValid(Encoding.UTF8.GetBytes(row.MessageId)));
                foreach (var json in new[] { row.Context, row.Properties, row.Traits, row.Integrations, row.UnparsedTimes })
                {
                    if (json is not null)
                    {
                        using var _ = JsonDocument.Parse(json);
                    }
                }
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(dead!.Reason));
                Assert.Equal(record, dead.Payload.ToArray());
            }
        }

        output.WriteLine($"{rows} of 20000 mutated records are rows");
        Assert.InRange(rows, 1, 19_999);
    }

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
    [InlineData("""{"messageId":"m","traits":{"\ud800":1}}""", "surrogate")]
    [InlineData("""{"messageId":"m","\udfff":1}""", "surrogate")]
    [InlineData("""{"messageId":"m","properties":{"n":1e1000000}}""", "64-bit float")]
    [InlineData("""{"messageId":"m","properties":{"n":1e-1001}}""", "decimals")]
    [InlineData("", "empty")]
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

    private static (EventRow? Row, DeadLetter? DeadLetter) Parse(string json, string sequenceNumber = "42") => Parse(Encoding.UTF8.GetBytes(json), sequenceNumber);

    private static (EventRow? Row, DeadLetter? DeadLetter) Parse(byte[] record, string sequenceNumber = "42") =>
        EventRecords.Parse("events", "shardId-000000000000", new KinesisRecord { SequenceNumber = sequenceNumber, PartitionKey = "k", Data = record });
}
