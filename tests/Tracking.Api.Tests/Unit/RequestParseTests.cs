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

    [Theory]
    [InlineData("""{"batch":[{"type":"track","userId":"u","event":"a\uDC00b"}], "sentAt": "2026-01-01T00:00:00Z"}""", "\\uDC00b")]
    [InlineData("""{"batch": [{"type": "track", "userId": "u", "event": "a\uD800b"}]}""", "\\uD800b")]
    [InlineData("""{"batch": [{"type": "track", "userId": "u", "event": "ok \uD83D\uDE00", "properties": {"k": "\uDFFF"}}]}""", "\\uDFFF")]
    public async Task ALoneSurrogateEscapeBeforeOrAfterTheFirstWhitespaceIsRefusedAtItsOffsetAsSent(string json, string lone)
    {
        var (parsed, refusal) = await ParseAsync(json);

        Assert.Null(parsed);
        Assert.Equal("Invalid string escape", refusal!.ProblemDetails.Title);
        Assert.Equal(json.IndexOf(lone, StringComparison.Ordinal) + 1, refusal.ProblemDetails.Extensions["bytePosition"]);
    }

    [Fact]
    public async Task CompactingFromWhereTheScanStoppedGivesWhatAFullScanAndAFullCompactionGive()
    {
        // Random JSON-ish texts: whitespace runs, strings with escapes and surrogates (paired and lone), tokens.
        var random = new Random(20261207);
        string[] pieces = [" ", ", ", ": ", "\r\n  ", "\t", "{", "}", "[", "]", "1", "-2.5", "true", "\"a b\"", "\"\\\"\"", "\"\\uD83D\\uDE00\"", "\"\\uDC00\"", "\"\\uD800x\"", "\"\\u00e9\"", "\"x"];
        for (var i = 0; i < 5000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => pieces[random.Next(pieces.Length)]));
            var bytes = Encoding.UTF8.GetBytes(text);

            var full = JsonText.Scan(bytes);
            var partial = JsonText.Scan(bytes, stopAtWhitespace: true);
            var lone = partial.LoneSurrogateAt;
            var compacted = bytes;
            if (lone < 0 && partial.HasWhitespace)
            {
                var destination = new byte[bytes.Length];
                var length = JsonText.Compact(bytes, destination, partial.WhitespaceAt, out _, out lone);
                compacted = destination[..length];
            }

            Assert.True(full.LoneSurrogateAt == lone, $"lone surrogate at {full.LoneSurrogateAt} by a full scan, {lone} in one pass: {text}");
            Assert.Equal(full.WhitespaceAt, partial.WhitespaceAt);
            if (lone < 0)
            {
                Assert.False(JsonText.Scan(compacted).HasWhitespace, text);
                Assert.Equal(text.Length - WhitespaceOutsideStrings(text), Encoding.UTF8.GetString(compacted).Length);
            }
        }
    }

    /// <summary>Counts whitespace outside strings the slow way, character by character.</summary>
    private static int WhitespaceOutsideStrings(string text)
    {
        var count = 0;
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is ' ' or '\t' or '\r' or '\n')
            {
                count++;
            }
        }

        return count;
    }
}
