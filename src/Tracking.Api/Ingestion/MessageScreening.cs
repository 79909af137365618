using FluentValidation;
using Tracking.Api.Delivery;
using Tracking.Api.Enrichment;
using Tracking.Api.Privacy;
using Tracking.Api.Suppression;
using Tracking.Api.Telemetry;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>
/// Judges each message of a parsed request (the spec's rules, then the enriched size limits) and
/// enriches those that pass. Its cost is bounded by the request's size: the batch's context was read
/// once, a message whose shared context alone passes the event limit is refused before it is
/// enriched, and the bytes of refused events count toward the request's limit like accepted ones.
/// </summary>
internal sealed class MessageScreening(IValidator<IncomingMessage> validator, EventEnricher enricher, PrivacyRules privacy, SuppressionList suppression, TrackingMetrics metrics, TrackingPlans.PlanEnforcement plans, TrackingPlans.PlanObserver observer)
{
    private static readonly Dictionary<string, string[]> TooLargeAsSent = new()
    {
        ["message"] = [$"The message is larger than {ProtocolLimits.MaxMessageBytes} bytes of JSON as sent."],
    };

    private static readonly Dictionary<string, string[]> TooLargeEnriched = new()
    {
        ["message"] = [$"With the batch's context and the server's fields merged in, the message is larger than {ProtocolLimits.MaxEnrichedEventBytes} bytes of JSON."],
    };

    public ScreenedRequest Screen(ParsedRequest parsed, in RequestMetadata meta, bool batch)
    {
        var screened = new ScreenedRequest();
        foreach (var index in parsed.OversizedIndexes)
        {
            screened.Rejected.Add(new Rejection(index, RejectionKind.TooLargeAsSent, TooLargeAsSent));
        }

        long work = 0;
        var traceStamp = meta.TraceParent is null ? 0 : EventTrace.MemberLength;
        var rules = privacy.For(meta.SourceName);
        using (var scratch = new EventEnricher.Scratch())
        {
            foreach (var message in parsed.Messages)
            {
                var result = validator.Validate(message);
                if (!result.IsValid)
                {
                    screened.Rejected.Add(new Rejection(message.Index, RejectionKind.Invalid, ToDictionary(result)));
                    continue;
                }

                if (suppression.Suppresses(message.UserId, message.AnonymousId))
                {
                    screened.Suppressed++;
                    continue;
                }

                // Shared members the message does not override are copied whatever else it holds: refuse before writing them.
                var floor = parsed.SharedContext?.BytesKeptFor(message.Context) ?? 0;
                var size = floor;
                if (floor <= ProtocolLimits.MaxEnrichedEventBytes)
                {
                    var enriched = enricher.Enrich(message, parsed, meta, scratch);
                    if (scratch.Verdict == EnrichmentVerdict.Drop)
                    {
                        screened.Dropped++;
                        continue;
                    }

                    // The privacy rules apply before anything else sees the event: spool, sinks, debugger, logs.
                    enriched = PrivacyRules.Apply(rules, enriched);

                    // The trace stamp is ours, not the client's: whether tracing is on must not change what is refused.
                    size = enriched.SizeBytes - traceStamp;
                    if (size <= ProtocolLimits.MaxEnrichedEventBytes)
                    {
                        if (scratch.Verdict == EnrichmentVerdict.Quarantine)
                        {
                            // A bot routed away is not the traffic a plan is drafted from or judged on.
                            screened.Quarantined.Add(enriched);
                        }
                        else if (Observed(screened, message, meta.SourceName, rules, traceStamp > 0, ref enriched) == TrackingPlans.PlanVerdict.Quarantined)
                        {
                            screened.Quarantined.Add(enriched);
                        }
                        else
                        {
                            screened.Accepted.Add(enriched);
                            screened.AcceptedBytes += enriched.SizeBytes;
                        }
                    }
                }

                // Merging walks every shared member whatever the message overrides: that walk is work too.
                work += Math.Max(size, parsed.SharedContext?.TotalBytes ?? 0);
                if (work > ProtocolLimits.MaxEnrichedRequestBytes)
                {
                    screened.Refusal = Refusals.RequestTooLargeEnriched();
                    break;
                }

                if (size > ProtocolLimits.MaxEnrichedEventBytes)
                {
                    if (!batch)
                    {
                        screened.Refusal = Refusals.MessageTooLargeEnriched(size);
                        break;
                    }

                    screened.Rejected.Add(new Rejection(message.Index, RejectionKind.TooLargeEnriched, TooLargeEnriched));
                }
            }
        }

        var tooLarge = screened.Rejected.Count(r => r.Kind != RejectionKind.Invalid);
        metrics.Rejected(tooLarge, "too_large");
        metrics.Rejected(screened.Rejected.Count - tooLarge, "invalid");
        return screened;
    }

    private TrackingPlans.PlanVerdict Observed(ScreenedRequest screened, IncomingMessage message, string source, SourceRules? rules, bool traced, ref EnrichedEvent enriched)
    {
        // Observed as stored, so a member a privacy rule dropped is never seen; before the plan adds its violations.
        // Recorded once the request is accepted (RecordSampled), so a request refused whole and sent again counts once.
        if (observer.TrySample(message, source))
        {
            (screened.Sampled ??= []).Add((message, enriched.Json));
            screened.Rewriting = rules?.RewritingPaths;
        }

        return plans.Enforce(message, source, traced, ref enriched);
    }

    /// <summary>Records the events the observer sampled of a request answered 200 (<see cref="ScreenedRequest.Sampled"/>).</summary>
    public void RecordSampled(ScreenedRequest screened, string source)
    {
        if (screened.Sampled is not { } sampled)
        {
            return;
        }

        foreach (var (message, json) in sampled)
        {
            observer.RecordSampled(message, source, json, screened.Rewriting);
        }
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
}
