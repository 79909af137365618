using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tracking.Api.Delivery;
using Tracking.Api.Ingestion;
using Tracking.Events;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// The one hook of the tracking plans in the ingestion path: checks a screened message against its source's plan
/// and, when it breaks it, records the violations on the enriched event as a top-level <c>violations</c> array
/// (<c>[{"rule":…,"path":…,"message":…}]</c>) and says whether it goes to the main stream or the quarantine.
/// A source without a plan costs one dictionary lookup.
/// </summary>
internal sealed class PlanEnforcement(SourcePlans plans, PlanCounters counters, Telemetry.TrackingMetrics metrics)
{
    /// <summary>The top-level field the violations are written to; the API drops a client's own.</summary>
    public const string Field = EventFields.Violations;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Judges a message; when it breaks the plan, its enriched event is replaced by the event with its violations.</summary>
    /// <param name="message">The screened message.</param>
    /// <param name="source">Its source, whose plan applies.</param>
    /// <param name="enriched">Its enriched event.</param>
    /// <param name="traced">The event ends with the trace stamp, which must stay its last member.</param>
    public PlanVerdict Enforce(IncomingMessage message, string source, bool traced, ref EnrichedEvent enriched)
    {
        if (plans.None || !plans.TryGet(source, out var plan, out var mode))
        {
            return PlanVerdict.Pass;
        }

        var violations = plan.Check(message);
        var verdict = violations is null ? PlanVerdict.Pass : mode == PlanMode.Block ? PlanVerdict.Quarantined : PlanVerdict.Flagged;
        counters.Count(source, message.Type!.Value, message.Event ?? message.Name, verdict);
        if (violations is not null)
        {
            metrics.PlanViolation(source, verdict == PlanVerdict.Quarantined);
            enriched = enriched with { Json = WithViolations(enriched.Json, violations, traced) };
        }

        return verdict;
    }

    /// <summary><paramref name="json"/> with <c>,"violations":[…]</c> before its closing brace, or before its trace stamp.</summary>
    internal static byte[] WithViolations(byte[] json, IReadOnlyList<PlanViolation> violations, bool traced)
    {
        var member = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(member, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray(Field);
            foreach (var v in violations)
            {
                writer.WriteStartObject();
                writer.WriteString("rule", v.Rule);
                writer.WriteString("path", v.Path);
                writer.WriteString("message", v.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        // The member without the braces of the object it was written in.
        var inner = member.WrittenSpan[1..^1];
        var at = json.Length - 1 - (traced ? EventTrace.MemberLength : 0);
        var result = new byte[json.Length + 1 + inner.Length];
        json.AsSpan(0, at).CopyTo(result);
        result[at] = (byte)',';
        inner.CopyTo(result.AsSpan(at + 1));
        json.AsSpan(at).CopyTo(result.AsSpan(at + 1 + inner.Length));
        return result;
    }
}
