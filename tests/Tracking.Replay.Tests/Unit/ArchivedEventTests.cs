using System.Text;

namespace Tracking.Replay.Tests.Unit;

public class ArchivedEventTests
{
    private static (ArchivedEvent? Event, string? Problem) Parse(string line) => ArchivedEvent.Parse(Encoding.UTF8.GetBytes(line));

    [Fact]
    public void TheLiveSinksPartitionKeyIsKeptAnonymousIdFirstThenUserId()
    {
        Assert.Equal("anon-7", Parse("""{"messageId":"m","anonymousId":"anon-7","userId":"u","receivedAt":"2026-11-01T10:00:00.123Z"}""").Event!.PartitionKey);
        Assert.Equal("u", Parse("""{"messageId":"m","anonymousId":"","userId":"u","receivedAt":"2026-11-01T10:00:00Z"}""").Event!.PartitionKey);
        Assert.Equal("42", Parse("""{"messageId":"m","userId":42,"receivedAt":"2026-11-01T10:00:00Z"}""").Event!.PartitionKey);
        Assert.Equal("m", Parse("""{"messageId":"m","receivedAt":"2026-11-01T10:00:00Z"}""").Event!.PartitionKey);
        Assert.Equal(256, Parse($$"""{"messageId":"m","userId":"{{new string('u', 300)}}","receivedAt":"2026-11-01T10:00:00Z"}""").Event!.PartitionKey.Length);
    }

    [Fact]
    public void TheEventsBytesAndTimeAreKeptAsWritten()
    {
        const string line = """{"messageId":"m-1","anonymousId":"a","receivedAt":"2026-11-01T10:00:00.123+02:00","properties":{"x":[1,2]}}""";
        var parsed = Parse(line).Event!;

        Assert.Equal(line, Encoding.UTF8.GetString(parsed.Json.Span));
        Assert.Equal("m-1", parsed.MessageId);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 8, 0, 0, 123, TimeSpan.Zero), parsed.ReceivedAt);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"receivedAt":"2026-11-01T10:00:00Z"}""", "no messageId")]
    [InlineData("""{"messageId":"","receivedAt":"2026-11-01T10:00:00Z"}""", "no messageId")]
    [InlineData("""{"messageId":"m"}""", "no receivedAt in ISO 8601")]
    [InlineData("""{"messageId":"m","receivedAt":"1/2/2026"}""", "no receivedAt in ISO 8601")]
    [InlineData("""{"messageId":"m","receivedAt":"2026-11-01T10:00:00"}""", "no receivedAt in ISO 8601")]
    [InlineData("""{"messageId":"m","receivedAt":12345}""", "no receivedAt in ISO 8601")]
    [InlineData("{\"messageId\":\"m\",\"receivedAt\":\"2026-11-01T10:00:00Z\"", "not JSON")]
    public void ALineThatIsNotAnEventTheApiWroteSaysWhy(string line, string problem)
    {
        Assert.Equal((null, problem), Parse(line));
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(20261207);
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            var (archived, problem) = ArchivedEvent.Parse(bytes);
            Assert.True(archived is null != (problem is null));
        }
    }
}
