using System.Text;
using Tracking.Api.Ingestion;
using Tracking.Events;

namespace Tracking.Api.Tests.Unit;

public class MessageValidatorTests
{
    private static readonly MessageValidator Validator = new();

    private static Dictionary<string, string[]> Errors(string json, EventType type)
    {
        var message = MessageParser.ParseSingle(Encoding.UTF8.GetBytes(json), type).Messages[0];
        return Validator.Validate(message).Errors
            .GroupBy(e => e.PropertyName)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray());
    }

    private static Dictionary<string, string[]> BatchItemErrors(string item)
    {
        var message = MessageParser.ParseBatch(Encoding.UTF8.GetBytes($$"""{"batch":[{{item}}]}""")).Messages[0];
        return Validator.Validate(message).Errors
            .GroupBy(e => e.PropertyName)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray());
    }

    [Theory]
    [InlineData(EventType.Track, """{"userId":"u","event":"Signed Up"}""")]
    [InlineData(EventType.Identify, """{"userId":"u","traits":{"email":"a@b.c"}}""")]
    [InlineData(EventType.Identify, """{"anonymousId":"a"}""")]
    [InlineData(EventType.Page, """{"anonymousId":"a"}""")]
    [InlineData(EventType.Screen, """{"userId":"u","name":"Home"}""")]
    [InlineData(EventType.Group, """{"userId":"u","groupId":"g"}""")]
    [InlineData(EventType.Alias, """{"userId":"u","previousId":"a"}""")]
    [InlineData(EventType.Track, """{"userId":42,"event":"E","timestamp":"2026-11-21T10:15:30.123+02:00","sentAt":"2026-11-21T08:15:31Z"}""")]
    public void AValidMessageOfEachTypePasses(EventType type, string json)
    {
        Assert.Empty(Errors(json, type));
    }

    [Theory]
    [InlineData(EventType.Track)]
    [InlineData(EventType.Identify)]
    [InlineData(EventType.Page)]
    [InlineData(EventType.Screen)]
    [InlineData(EventType.Group)]
    [InlineData(EventType.Alias)]
    public void EveryTypeNeedsAUserIdOrAnAnonymousId(EventType type)
    {
        var errors = Errors("""{"userId":"","event":"E","groupId":"g","previousId":"p"}""", type);

        Assert.Equal(["Either 'userId' or 'anonymousId' is required."], errors["userId"]);
    }

    [Fact]
    public void TrackNeedsAnEvent()
    {
        Assert.Contains("event", Errors("""{"userId":"u"}""", EventType.Track).Keys);
        Assert.Contains("event", Errors("""{"userId":"u","event":""}""", EventType.Track).Keys);
    }

    [Fact]
    public void GroupNeedsAGroupId() => Assert.Equal(["groupId"], Errors("""{"userId":"u"}""", EventType.Group).Keys);

    [Fact]
    public void AliasNeedsAPreviousId() => Assert.Equal(["previousId"], Errors("""{"userId":"u"}""", EventType.Alias).Keys);

    [Fact]
    public void EventIsOnlyRequiredForTrack() => Assert.Empty(Errors("""{"userId":"u"}""", EventType.Page));

    [Theory]
    [InlineData("timestamp")]
    [InlineData("sentAt")]
    [InlineData("originalTimestamp")]
    public void TimestampsMustBeDates(string field)
    {
        var errors = Errors($$"""{"userId":"u","event":"E","{{field}}":"yesterday"}""", EventType.Track);

        Assert.StartsWith($"'{field}' must be an ISO 8601 date-time", Assert.Single(errors[field]));
    }

    [Fact]
    public void IdentifiersLongerThanAPartitionKeyAreRefused()
    {
        var errors = Errors($$"""{"userId":"{{new string('u', 257)}}","event":"E","messageId":"{{new string('m', 257)}}"}""", EventType.Track);

        Assert.Equal(["messageId", "userId"], errors.Keys.Order());
    }

    [Fact]
    public void IdentifiersOfExactlyTheLimitPass()
    {
        Assert.Empty(Errors($$"""{"userId":"{{new string('u', 256)}}","event":"E"}""", EventType.Track));
    }

    [Fact]
    public void ABatchItemNeedsAKnownType()
    {
        Assert.Contains("'type' is required", BatchItemErrors("""{"userId":"u"}""")["type"][0], StringComparison.Ordinal);
        Assert.Contains("'purchase' is not", BatchItemErrors("""{"type":"purchase","userId":"u"}""")["type"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void ABatchItemWithATypeOfTheWrongKindIsReportedOnce()
    {
        Assert.Equal(["'type' must be a string."], BatchItemErrors("""{"type":7,"userId":"u"}""")["type"]);
    }

    [Fact]
    public void ABatchItemThatIsNotAnObjectGetsOneClearError()
    {
        Assert.Equal(["message"], BatchItemErrors("[1,2]").Keys);
    }

    [Fact]
    public void FieldsOfTheWrongKindAreNamed()
    {
        var errors = Errors("""{"userId":"u","event":"E","properties":"cheap","context":7}""", EventType.Track);

        Assert.Equal(["'properties' must be a JSON object."], errors["properties"]);
        Assert.Equal(["'context' must be a JSON object."], errors["context"]);
    }
}
