using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Tracking.Api.Delivery;
using Tracking.Api.Enrichment;
using Tracking.Api.Telemetry;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>
/// One request from body to queue: read (bounded, decompressed), parse, authenticate, rate-limit,
/// validate, enrich, enqueue. Every refusal is a problem document whose status tells SDKs what to
/// do: 400/401/413/415 never succeed on retry, 429 and 503 do.
/// </summary>
internal sealed class IngestionHandler(
    IValidator<IncomingMessage> validator,
    EventEnricher enricher,
    IEventQueue queue,
    WriteKeys writeKeys,
    WriteKeyRateLimiter rateLimiter,
    TimeProvider time,
    TrackingMetrics metrics,
    IOptions<ClientIpOptions> clientIp,
    IOptions<QueueOptions> queueOptions)
{
    private readonly bool _anonymize = clientIp.Value.Anonymize;
    private readonly string _retryAfterFull = queueOptions.Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>Handles one request; <paramref name="type"/> is the route's message type, or null for <c>/v1/batch</c>.</summary>
    public async Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        HttpContext http, EventType? type, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (!IsAcceptedContentType(request.ContentType))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Send the body as application/json or text/plain, not '{request.ContentType}'.");
        }

        if (request.Headers.ContentEncoding.Count > 0)
        {
            // The decompression middleware removes the header of every encoding it undid.
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content encoding",
                $"Content-Encoding '{request.Headers.ContentEncoding}' is not supported: send gzip, deflate, br or no encoding.");
        }

        var headerKey = WriteKeys.FromAuthorizationHeader(request.Headers.Authorization);
        string? source = null;
        if (headerKey is not null)
        {
            if ((source = writeKeys.SourceOf(headerKey)) is null)
            {
                return Unauthorized(http);
            }

            // Known from the header: limit the rate before the body costs any reading or parsing.
            if (!rateLimiter.TryAcquire(headerKey, out var wait))
            {
                return TooManyRequests(http, wait);
            }
        }

        var limit = type is null ? ProtocolLimits.MaxBatchBytes : ProtocolLimits.MaxMessageBytes;
        using var body = await RequestBody.ReadAsync(request, limit, cancellationToken);
        if (body.TooLarge)
        {
            return type is null
                ? Problem(StatusCodes.Status413PayloadTooLarge, "Batch too large", $"A batch request may hold at most {ProtocolLimits.MaxBatchBytes} bytes of JSON after decompression: split it.")
                : Problem(StatusCodes.Status413PayloadTooLarge, "Message too large", $"A message may be at most {ProtocolLimits.MaxMessageBytes} bytes of JSON.");
        }

        var receivedAt = time.GetUtcNow();
        if (!Utf8.IsValid(body.Memory.Span))
        {
            return Problem(StatusCodes.Status400BadRequest, "Body is not UTF-8", "The body must be JSON encoded as UTF-8.");
        }

        ParsedRequest parsed;
        try
        {
            parsed = type is { } single ? MessageParser.ParseSingle(body.Memory, single) : MessageParser.ParseBatch(body.Memory);
        }
        catch (JsonException ex)
        {
            return MalformedJson(ex);
        }

        if (parsed.ShapeError is not null)
        {
            return Problem(StatusCodes.Status400BadRequest, "Body is not a Segment message", parsed.ShapeError);
        }

        if (parsed.TooManyMessages)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Too many messages", $"A batch may hold at most {ProtocolLimits.MaxBatchMessages} messages: split it.");
        }

        if (source is null)
        {
            source = writeKeys.SourceOf(parsed.WriteKey);
            if (source is null)
            {
                return Unauthorized(http);
            }

            if (!rateLimiter.TryAcquire(parsed.WriteKey!, out var wait))
            {
                return TooManyRequests(http, wait);
            }
        }

        var rejected = RejectOversized(parsed);
        var metadata = new RequestMetadata(receivedAt, ClientIp(http), request.Headers.UserAgent.Count > 0 ? request.Headers.UserAgent.ToString() : null, source);
        var accepted = new List<EnrichedEvent>(parsed.Messages.Count);
        long acceptedBytes = 0;
        using (var scratch = new EventEnricher.Scratch())
        {
            foreach (var message in parsed.Messages)
            {
                var result = validator.Validate(message);
                if (!result.IsValid)
                {
                    (rejected ??= []).Add(new RejectedMessage(message.Index, ToDictionary(result)));
                    continue;
                }

                var enriched = enricher.Enrich(message, parsed, metadata, scratch);
                if (enriched.SizeBytes > ProtocolLimits.MaxEnrichedEventBytes)
                {
                    (rejected ??= []).Add(new RejectedMessage(message.Index, TooLargeEnriched));
                    continue;
                }

                acceptedBytes += enriched.SizeBytes;
                if (acceptedBytes > ProtocolLimits.MaxEnrichedRequestBytes)
                {
                    return Problem(StatusCodes.Status413PayloadTooLarge, "Batch too large once enriched",
                        $"With the batch's context merged into each message, the events add up to more than {ProtocolLimits.MaxEnrichedRequestBytes} bytes: send less shared context or fewer messages per request.");
                }

                accepted.Add(enriched);
            }
        }

        if (rejected is not null)
        {
            metrics.Rejected(parsed.OversizedIndexes.Count, "too_large");
            metrics.Rejected(rejected.Count - parsed.OversizedIndexes.Count, "invalid");
        }

        if (accepted.Count == 0)
        {
            return NoneAccepted(type, rejected!);
        }

        if (accepted.Count > queue.CapacityEvents || acceptedBytes > queue.CapacityBytes)
        {
            // Retrying could never help: 503 would make SDKs retry this request forever.
            return Problem(StatusCodes.Status413PayloadTooLarge, "Larger than the queue",
                $"The request's {accepted.Count} events ({acceptedBytes} bytes) are more than this API's whole queue holds (Tracking:Queue:MaxEvents {queue.CapacityEvents}, MaxBytes {queue.CapacityBytes}): split it.");
        }

        if (!queue.TryEnqueue(accepted))
        {
            http.Response.Headers.RetryAfter = _retryAfterFull;
            return Problem(StatusCodes.Status503ServiceUnavailable, "Queue full",
                "The API cannot take more events until the sink catches up; retry after the Retry-After seconds. Nothing from this request was accepted.");
        }

        metrics.Accepted(accepted.Count, source);
        rejected?.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        return TypedResults.Ok(new IngestionResponse(true, accepted.Count, rejected));
    }

    private static readonly Dictionary<string, string[]> TooLargeEnriched = new()
    {
        ["message"] = [$"With the batch's context merged in, the message is larger than {ProtocolLimits.MaxEnrichedEventBytes} bytes of JSON."],
    };

    private static ProblemHttpResult TooManyRequests(HttpContext http, TimeSpan retryAfter)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problem(StatusCodes.Status429TooManyRequests, "Too many requests", "This write key is over its request rate; retry after the Retry-After seconds.");
    }

    private static List<RejectedMessage>? RejectOversized(ParsedRequest parsed)
    {
        if (parsed.OversizedIndexes.Count == 0)
        {
            return null;
        }

        var tooLarge = new Dictionary<string, string[]>
        {
            ["message"] = [$"The message is larger than {ProtocolLimits.MaxMessageBytes} bytes of JSON."],
        };
        return parsed.OversizedIndexes.Select(i => new RejectedMessage(i, tooLarge)).ToList();
    }

    private static Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult> NoneAccepted(EventType? type, List<RejectedMessage> rejected)
    {
        if (type is not null)
        {
            return TypedResults.ValidationProblem(rejected[0].Errors, "The message breaks the Segment spec; fix the fields listed in 'errors'.", title: "Invalid message");
        }

        if (rejected.TrueForAll(r => r.Errors.TryGetValue("message", out var reasons) && reasons[0].Contains("larger than", StringComparison.Ordinal)))
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Messages too large", $"Every message in the batch is larger than {ProtocolLimits.MaxMessageBytes} bytes of JSON.");
        }

        var errors = new Dictionary<string, string[]>();
        foreach (var r in rejected.OrderBy(r => r.Index))
        {
            foreach (var (field, messages) in r.Errors)
            {
                errors[$"batch[{r.Index}].{field}"] = messages;
            }
        }

        return TypedResults.ValidationProblem(errors, "No message in the batch is valid; fix the fields listed in 'errors'.", title: "Invalid batch");
    }

    private static Dictionary<string, string[]> ToDictionary(FluentValidation.Results.ValidationResult result)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var group in result.Errors.GroupBy(e => e.PropertyName, StringComparer.Ordinal))
        {
            errors[group.Key] = group.Select(e => e.ErrorMessage).Distinct().ToArray();
        }

        return errors;
    }

    private string? ClientIp(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return null;
        }

        if (_anonymize)
        {
            return IpAnonymizer.Anonymize(address).ToString();
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    private static bool IsAcceptedContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        return media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
    }

    private static ProblemHttpResult MalformedJson(JsonException ex)
    {
        var reason = ex.Message;
        var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            reason = reason[..cut];
        }

        var line = (ex.LineNumber ?? 0) + 1;
        var position = (ex.BytePositionInLine ?? 0) + 1;
        return TypedResults.Problem(
            detail: $"The body is not valid JSON at line {line}, byte {position}: {reason}",
            statusCode: StatusCodes.Status400BadRequest,
            title: "Malformed JSON",
            extensions: new Dictionary<string, object?> { ["line"] = line, ["bytePosition"] = position });
    }

    private static ProblemHttpResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"tracking\"";
        return Problem(StatusCodes.Status401Unauthorized, "Unknown write key",
            "Send the source's write key as the user name of HTTP Basic auth (base64 of 'writeKey:') or as \"writeKey\" in the body.");
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
