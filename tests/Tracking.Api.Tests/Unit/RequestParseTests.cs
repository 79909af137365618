using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Tracking.Api.Ingestion;
using Tracking.Events;

namespace Tracking.Api.Tests.Unit;

/// <summary>A body is compacted once and parsed once; only a body that fails is parsed again as sent, for its refusal.</summary>
public class RequestParseTests
{
    private static async Task<(ParsedRequest? Parsed, ProblemHttpResult? Refusal)> ParseAsync(string json, EventType? type = null)
    {
        var http = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(json);
        http.Request.Body = new MemoryStream(bytes);
        http.Request.ContentLength = bytes.Length;
        var (body, unreadable) = await RequestBody.ReadAsync(http.Request, ProtocolLimits.MaxBatchBytes, batch: type is null, CancellationToken.None);
        Assert.Null(unreadable);
        using (body)
        {
            return IngestionHandler.Parse(body!, type);
        }
    }

    [Fact]
    public async Task ABatchWrittenAsJsonDumpsWritesItIsReadWithoutItsWhitespace()
    {
        var (parsed, refusal) = await ParseAsync("""{"batch": [{"type": "track", "userId": "u", "event": "E", "properties": {"a": [1, 2], "s": "x y"}}], "sentAt": "2026-01-01T00:00:00Z"}""");

        Assert.Null(refusal);
        var m = Assert.Single(parsed!.Messages);
        Assert.Equal(("u", "E"), (m.UserId, m.Event));
        Assert.Equal("""{"a":[1,2],"s":"x y"}""", Encoding.UTF8.GetString(m.Properties.Span));
    }

    [Theory]
    [InlineData("""{"batch": [{"type": "track", "userId": "u", "event": "E", "properties": {"n": 1 2}}]}""")]
    [InlineData("""{"batch": [{"type": "track", "userId": "u", "event": "E", "properties": {"t": tr ue}}]}""")]
    [InlineData("""{"batch": [{"type": "track", "userId": "u", "event": "E", "properties": {"n": - 1}}]}""")]
    public async Task WhitespaceInsideANumberOrLiteralIsRefusedNotJoined(string json)
    {
        var (parsed, refusal) = await ParseAsync(json);

        Assert.Null(parsed);
        Assert.Equal(StatusCodes.Status400BadRequest, refusal!.StatusCode);
        Assert.Equal("Malformed JSON", refusal.ProblemDetails.Title);
    }

    [Fact]
    public async Task AMalformedIndentedBodyIsRefusedAtTheLineAndByteTheClientSent()
    {
        var (_, refusal) = await ParseAsync("{\n  \"userId\": \"u\",\n  \"event\": \"E\",\n  \"properties\": {\"a\": 1,,}\n}", EventType.Track);

        Assert.Equal(StatusCodes.Status400BadRequest, refusal!.StatusCode);
        Assert.Contains("line 4, byte", refusal.ProblemDetails.Detail, StringComparison.Ordinal);
    }
}
