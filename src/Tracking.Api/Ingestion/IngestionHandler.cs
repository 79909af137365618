using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Tracking.Api.Debugger;
using Tracking.Api.Delivery;
using Tracking.Api.Enrichment;
using Tracking.Api.Telemetry;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>
/// One request from body to queue, after the endpoint filters have judged its encoding and any
/// header write key: read the body (bounded, decompressed), parse it, authenticate a write key from
/// the body, screen and enrich the messages, enqueue the events. Each step either passes its result
/// on or returns the refusal that <see cref="Refusals"/> words.
/// </summary>
internal sealed class IngestionHandler(
    MessageScreening screening,
    EventEnricher enricher,
    WriteKeyFilter writeKeys,
    IEventQueue queue,
    TimeProvider time,
    TrackingMetrics metrics,
    EventTap tap,
    TrackingPlans.Quarantine quarantine,
    IOptions<QueueOptions> queueOptions)
{
    private readonly string _retryAfterFull = queueOptions.Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>Handles one request; <paramref name="type"/> is the route's message type, or null for <c>/v1/batch</c>.</summary>
    public async Task<Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        HttpContext http, EventType? type, CancellationToken cancellationToken)
    {
        var batch = type is null;
        var (body, unreadable) = await RequestBody.ReadAsync(http.Request, batch ? ProtocolLimits.MaxBatchBytes : ProtocolLimits.MaxMessageBytes, batch, cancellationToken);
        if (unreadable is not null)
        {
            return unreadable;
        }

        using (body)
        {
            var receivedAt = time.GetUtcNow();
            var (parsed, malformed) = Parse(body!, type);
            if (malformed is not null)
            {
                return malformed;
            }

            // Only while a debugger watches: what it needs to show this request's refusals.
            TappedRequest? tapped = null;
            if (tap.Watching > 0)
            {
                tapped = new TappedRequest(parsed!, batch);
                http.Features.Set(tapped);
            }

            var source = http.Features.Get<AuthenticatedSource>();
            if (source is null)
            {
                // No Authorization header (a beacon): the key is in the body.
                if (writeKeys.Authenticate(http, parsed!.WriteKey) is { } refused)
                {
                    return refused;
                }

                source = http.Features.Get<AuthenticatedSource>()!;
            }

            var screened = screening.Screen(parsed!, enricher.Describe(http, receivedAt, source.Name), batch);
            tapped?.Rejected = screened.Rejected;
            if (screened.Refusal is not null)
            {
                return screened.Refusal;
            }

            var accepted = screened.Accepted.Count + screened.Quarantined.Count;
            if (accepted == 0 && screened.Suppressed == 0 && screened.Dropped == 0)
            {
                return NoneAccepted(batch, screened.Rejected);
            }

            // Quarantined first: a 503 for a full quarantine must not follow events already in the main queue.
            if (screened.Quarantined.Count > 0 && !await quarantine.AddAsync(screened.Quarantined, cancellationToken))
            {
                return TrackingPlans.Quarantine.Full(http, _retryAfterFull);
            }

            if (screened.Accepted.Count > 0 && await EnqueueAsync(http, screened, cancellationToken) is { } notQueued)
            {
                return notQueued;
            }

            metrics.Accepted(accepted, source.Name);
            metrics.Suppressed(screened.Suppressed, source.Name);
            screening.RecordSampled(screened, source.Name);
            TrackingTracing.TagRequest(source.Name, accepted, screened.Rejected.Count);
            tap.Observe(screened.Accepted);
            tap.Observe(screened.Quarantined, quarantined: true);
            // A suppressed user's messages and refused bots count as accepted: the client did nothing wrong, and must not retry them.
            return TypedResults.Ok(new IngestionResponse(true, accepted + screened.Suppressed + screened.Dropped, Answer(screened.Rejected)));
        }
    }

    /// <summary>
    /// The body as a request: UTF-8, no lone surrogate escapes, well-formed JSON shaped like a message
    /// or a batch. Whitespace between tokens is removed first (a newline would split the record in the
    /// sinks) and the compact copy is the one parsed: one parse for every body. Only a body that does not
    /// parse is parsed again as sent, so its refusal names the line and byte of what the client sent.
    /// </summary>
    internal static (ParsedRequest? Parsed, ProblemHttpResult? Refusal) Parse(RequestBody body, EventType? type)
    {
        if (!Utf8.IsValid(body.Span))
        {
            return (null, Refusals.NotUtf8());
        }

        // One pass over the text: the scan stops at the first whitespace, and compaction goes on from there.
        var findings = JsonText.Scan(body.Span, stopAtWhitespace: true);
        var loneSurrogateAt = findings.LoneSurrogateAt;

        // Whitespace between two tokens' bytes is malformed, and the compact copy would hide it: judge the body as sent.
        var joinsTokens = false;
        if (loneSurrogateAt < 0 && findings.HasWhitespace)
        {
            joinsTokens = body.Compact(findings.WhitespaceAt, out loneSurrogateAt);
        }

        if (loneSurrogateAt >= 0)
        {
            return (null, Refusals.LoneSurrogate(loneSurrogateAt));
        }

        ParsedRequest parsed;
        try
        {
            parsed = ParseAs(joinsTokens ? body.AsSent : body.Memory, type);
        }
        catch (JsonException ex)
        {
            return (null, Refusals.NotJson(findings.HasWhitespace && !joinsTokens ? ErrorAsSent(body, type) ?? ex : ex));
        }

        if (joinsTokens)
        {
            // Parsed as sent without error: cannot happen for JSON, which never separates two such tokens by whitespace alone.
            return (null, Refusals.NotAMessage("Whitespace separates two values that need a comma or colon between them."));
        }

        if (parsed.ShapeError is not null)
        {
            return (null, Refusals.NotAMessage(parsed.ShapeError));
        }

        return parsed.TooManyMessages ? (null, Refusals.TooManyMessages()) : (parsed, null);
    }

    /// <summary>Where the body as the client sent it breaks, for the refusal; null if it parses (the compact copy broke).</summary>
    private static JsonException? ErrorAsSent(RequestBody body, EventType? type)
    {
        try
        {
            ParseAs(body.AsSent, type);
            return null;
        }
        catch (JsonException ex)
        {
            return ex;
        }
    }

    private static ParsedRequest ParseAs(ReadOnlyMemory<byte> json, EventType? type) =>
        type is { } single ? MessageParser.ParseSingle(json, single) : MessageParser.ParseBatch(json);

    private async ValueTask<ProblemHttpResult?> EnqueueAsync(HttpContext http, ScreenedRequest screened, CancellationToken cancellationToken)
    {
        var events = screened.Accepted;
        if (events.Count > queue.CapacityEvents || screened.AcceptedBytes > queue.CapacityBytes)
        {
            // Retrying could never help: 503 would make SDKs retry this request forever.
            return Refusals.LargerThanQueue(events.Count, screened.AcceptedBytes, queue.CapacityEvents, queue.CapacityBytes);
        }

        return await queue.EnqueueAsync(events, cancellationToken) switch
        {
            EnqueueOutcome.Accepted => null,
            EnqueueOutcome.Closed => Refusals.ShuttingDown(http, _retryAfterFull),
            _ => Refusals.QueueFull(http, _retryAfterFull),
        };
    }

    private static Results<Ok<IngestionResponse>, ValidationProblem, ProblemHttpResult> NoneAccepted(bool batch, List<Rejection> rejected)
    {
        if (!batch)
        {
            return TypedResults.ValidationProblem(rejected[0].Errors, "The message breaks the Segment spec; fix the fields listed in 'errors'.", title: "Invalid message");
        }

        if (rejected.TrueForAll(r => r.Kind != RejectionKind.Invalid))
        {
            return Refusals.EveryMessageTooLarge(
                rejected.Count(r => r.Kind == RejectionKind.TooLargeAsSent),
                rejected.Count(r => r.Kind == RejectionKind.TooLargeEnriched));
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

    private static List<RejectedMessage>? Answer(List<Rejection> rejected) =>
        rejected.Count == 0 ? null : rejected.OrderBy(r => r.Index).Select(r => new RejectedMessage(r.Index, r.Errors)).ToList();
}
