using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>
/// Every answer the ingestion endpoints give instead of 200, in one place: each names the limit or
/// rule that was broken, with its number. The status tells SDKs what to do: 400, 401, 408, 413 and
/// 415 never succeed on retry (SDKs drop), 429 and 503 do (SDKs retry after <c>Retry-After</c>).
/// </summary>
internal static class Refusals
{
    public static ProblemHttpResult UnsupportedEncoding(string encoding) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content encoding",
            $"Content-Encoding '{encoding}' is not supported: send gzip, deflate, br or no encoding.");

    /// <summary>
    /// 401 with the <c>WWW-Authenticate</c> challenge RFC 9110 requires, except for script requests that say
    /// so with <c>X-Requested-With: XMLHttpRequest</c> (Swagger UI's): a browser answers a Basic challenge
    /// to a page's request with its own sign-in box, which the page never sees.
    /// </summary>
    public static ProblemHttpResult UnknownWriteKey(HttpContext http)
    {
        if (!string.Equals(http.Request.Headers.XRequestedWith, "XMLHttpRequest", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"tracking\"";
        }

        return Problem(StatusCodes.Status401Unauthorized, "Unknown write key",
            "Send the source's write key (a key of Tracking:WriteKeys) as the user name of HTTP Basic auth with an empty password (base64 of 'writeKey:'), " +
            "or as \"writeKey\" in the body. In Swagger UI: Authorize, the write key as Username, Password left empty.");
    }

    public static ProblemHttpResult TooManyRequests(HttpContext http, TimeSpan retryAfter, string who)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problem(StatusCodes.Status429TooManyRequests, "Too many requests", $"{who} is over its request rate; retry after the Retry-After seconds.");
    }

    public static ProblemHttpResult QueueFull(HttpContext http, string retryAfterSeconds)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds;
        return Problem(StatusCodes.Status503ServiceUnavailable, "Queue full",
            "The API cannot take more events until the sink catches up (its queue or spool is full, or the spool's disk is); retry after the Retry-After seconds. Nothing from this request was accepted.");
    }

    public static ProblemHttpResult ShuttingDown(HttpContext http, string retryAfterSeconds)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds;
        return Problem(StatusCodes.Status503ServiceUnavailable, "Shutting down",
            "This API instance is stopping; retry after the Retry-After seconds (another instance, or this one restarted, takes it). Nothing from this request was accepted.");
    }

    public static ProblemHttpResult TooManyAtOnce(int perAddress) =>
        Problem(StatusCodes.Status429TooManyRequests, "Too many requests at once",
            $"This client address has {perAddress} requests in progress (Tracking:Limits:MaxConcurrentRequestsPerAddress); retry after the Retry-After seconds.");

    public static ProblemHttpResult Busy() =>
        Problem(StatusCodes.Status503ServiceUnavailable, "Busy",
            "The API is processing as many requests as it takes at once and as many wait; retry after the Retry-After seconds. Nothing from this request was read.");

    public static ProblemHttpResult TooSlow(TimeSpan limit) =>
        Problem(StatusCodes.Status408RequestTimeout, "Request too slow",
            $"The request took longer than {limit.TotalSeconds:0.#} s (Tracking:Limits:RequestTimeout) to arrive: nothing from it was accepted.");

    public static ProblemHttpResult BodyTooLarge(bool batch) => batch
        ? Problem(StatusCodes.Status413PayloadTooLarge, "Batch too large",
            $"A batch request may hold at most {ProtocolLimits.MaxBatchBytes} bytes of JSON after decompression: split it.")
        : Problem(StatusCodes.Status413PayloadTooLarge, "Message too large",
            $"A message may be at most {ProtocolLimits.MaxMessageBytes} bytes of JSON after decompression.");

    public static ProblemHttpResult CorruptEncoding() =>
        Problem(StatusCodes.Status400BadRequest, "Corrupt compressed body",
            "The body does not decompress as its Content-Encoding says: send it compressed whole, or uncompressed without the header.");

    public static ProblemHttpResult BadBody(int status, string reason) =>
        Problem(status, status == StatusCodes.Status408RequestTimeout ? "Body too slow" : "Unreadable body", reason);

    public static ProblemHttpResult NotUtf8() =>
        Problem(StatusCodes.Status400BadRequest, "Body is not UTF-8", "The body must be JSON encoded as UTF-8.");

    public static ProblemHttpResult LoneSurrogate(int bytePosition) =>
        Problem(StatusCodes.Status400BadRequest, "Invalid string escape",
            $"A string escape at byte {bytePosition + 1} names half of a UTF-16 surrogate pair (\\uD800–\\uDFFF) without its other half: it is not a character, and no warehouse can store it.",
            new() { ["bytePosition"] = bytePosition + 1 });

    public static ProblemHttpResult NotJson(JsonException ex)
    {
        var reason = ex.Message;
        var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            reason = reason[..cut];
        }

        var line = (ex.LineNumber ?? 0) + 1;
        var position = (ex.BytePositionInLine ?? 0) + 1;
        return Problem(StatusCodes.Status400BadRequest, "Malformed JSON",
            $"The body is not valid JSON at line {line}, byte {position}: {reason} The body is read as JSON whatever its Content-Type.",
            new() { ["line"] = line, ["bytePosition"] = position });
    }

    public static ProblemHttpResult NotAMessage(string reason) =>
        Problem(StatusCodes.Status400BadRequest, "Body is not a Segment message", reason);

    public static ProblemHttpResult TooManyMessages() =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Too many messages",
            $"A batch may hold at most {ProtocolLimits.MaxBatchMessages} messages: split it.");

    public static ProblemHttpResult MessageTooLargeEnriched(long size) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Message too large once enriched",
            $"With the server's fields added the message is {size} bytes of JSON, more than the {ProtocolLimits.MaxEnrichedEventBytes} an event may hold: send less in 'context', 'properties' or 'traits'.");

    public static ProblemHttpResult RequestTooLargeEnriched() =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Batch too large once enriched",
            $"With the batch's context merged into each message, the request's events (counting refused ones) add up to more than {ProtocolLimits.MaxEnrichedRequestBytes} bytes: send less shared context or fewer messages per request.");

    public static ProblemHttpResult EveryMessageTooLarge(int overRaw, int overEnriched)
    {
        var parts = new List<string>(2);
        if (overRaw > 0)
        {
            parts.Add($"{overRaw} larger than {ProtocolLimits.MaxMessageBytes} bytes of JSON as sent");
        }

        if (overEnriched > 0)
        {
            parts.Add($"{overEnriched} larger than {ProtocolLimits.MaxEnrichedEventBytes} bytes once the batch's context and the server's fields are merged in");
        }

        return Problem(StatusCodes.Status413PayloadTooLarge, "Messages too large",
            $"Every message in the batch is over a size limit: {string.Join("; ", parts)}.");
    }

    public static ProblemHttpResult LargerThanQueue(int events, long bytes, int capacityEvents, long capacityBytes) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Larger than the queue",
            $"The request's {events} events ({bytes} bytes) are more than this API's whole queue holds (Tracking:Queue:MaxEvents {capacityEvents}, MaxBytes {capacityBytes}): split it.");

    private static ProblemHttpResult Problem(int status, string title, string detail, Dictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
}
