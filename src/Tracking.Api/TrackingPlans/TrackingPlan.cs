using System.Text.Json;
using Json.Schema;
using Tracking.Api.Ingestion;
using Tracking.Events;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// One source's plan, its schemas compiled once. A section the plan leaves out (no <c>page</c>, say) is not checked
/// at all; a name missing from a section it has is unplanned (<see cref="UnplannedAction"/>).
/// </summary>
internal sealed class TrackingPlan(
    string file,
    UnplannedAction unplanned,
    Dictionary<string, JsonSchema>? tracks,
    JsonSchema? traits,
    Dictionary<string, JsonSchema>? pages,
    Dictionary<string, JsonSchema>? screens,
    IReadOnlyDictionary<JsonSchema, QuickSchema>? quick = null,
    JsonSchema? groupTraits = null)
{
    /// <summary>The most violations recorded on one event; more are summed up in one last entry.</summary>
    public const int MaxViolations = 20;

    // Flag output is the cheapest: only an event that fails is evaluated again for the details.
    private static readonly EvaluationOptions Quick = new() { OutputFormat = OutputFormat.Flag };
    private static readonly EvaluationOptions Detailed = new() { OutputFormat = OutputFormat.List };
    // The library's messages for these quote the number sent; the violation is stored beside data the privacy rules may have hashed.
    private static readonly HashSet<string> QuotesTheValue = new(StringComparer.Ordinal) { "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf" };

    [ThreadStatic]
    private static List<PlanViolation>? t_violations;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The file the plan was read from, full path.</summary>
    public string File { get; } = file;

    public UnplannedAction Unplanned { get; } = unplanned;

    /// <summary>The planned track events by name; null when the plan has no <c>track</c> section.</summary>
    public IReadOnlyDictionary<string, JsonSchema>? Tracks { get; } = tracks;

    public IReadOnlyDictionary<string, JsonSchema>? Pages { get; } = pages;

    public IReadOnlyDictionary<string, JsonSchema>? Screens { get; } = screens;

    public JsonSchema? Traits { get; } = traits;

    /// <summary>The schema of a group message's traits; null when the plan has no <c>group</c> section.</summary>
    public JsonSchema? GroupTraits { get; } = groupTraits;

    /// <summary>How <paramref name="message"/> (a valid message) breaks the plan; null when it does not.</summary>
    public List<PlanViolation>? Check(IncomingMessage message)
    {
        var (section, name, namePath, dataPath, data) = message.Type switch
        {
            EventType.Track => (Tracks, message.Event, "/event", "/properties", message.Properties),
            EventType.Page => (Pages, message.Name, "/name", "/properties", message.Properties),
            EventType.Screen => (Screens, message.Name, "/name", "/properties", message.Properties),
            EventType.Identify or EventType.Group => (null, null, "", "/traits", message.Traits),
            _ => (null, null, "", "", default),
        };

        JsonSchema? schema;
        if (message.Type == EventType.Identify)
        {
            schema = Traits;
        }
        else if (message.Type == EventType.Group)
        {
            schema = GroupTraits;
        }
        else if (section is null)
        {
            return null;
        }
        else if (!section.TryGetValue(name ?? "", out schema))
        {
            // A page or screen may have no name at all: that is unplanned too, when the plan lists names.
            return Unplanned == UnplannedAction.Violation
                ? [new PlanViolation("unplanned", namePath, $"The {message.Type!.Value.ToWireName()} '{name}' is not in the tracking plan.")]
                : null;
        }

        return schema is null ? null : Evaluate(schema, quick?.GetValueOrDefault(schema), data, dataPath);
    }

    private static List<PlanViolation>? Evaluate(JsonSchema schema, QuickSchema? fast, ReadOnlyMemory<byte> data, string dataPath)
    {
        using var document = data.IsEmpty ? null : JsonDocument.Parse(data);
        var instance = document?.RootElement ?? EmptyObject;

        if (fast is not null)
        {
            // One list per thread for the common case, a value that keeps to the plan: only a broken one gets its own.
            var found = t_violations ??= [];
            found.Clear();
            if (fast.TryCheck(instance, dataPath, found))
            {
                return found.Count == 0 ? null : Limited([.. found], dataPath);
            }
        }

        // The schema uses a keyword the fast check does not know, or it was unsure of a value: JsonSchema.Net judges.
        var violations = new List<PlanViolation>();
        if (schema.Evaluate(instance, Quick).IsValid)
        {
            return null;
        }

        var results = schema.Evaluate(instance, Detailed);

        var seen = new HashSet<PlanViolation>();
        foreach (var result in (IEnumerable<EvaluationResults>)[results, .. results.Details ?? []])
        {
            if (result.IsValid || result.Errors is not { Count: > 0 } errors)
            {
                continue;
            }

            var path = dataPath + result.InstanceLocation;
            foreach (var (key, text) in errors)
            {
                // JsonSchema.Net names no keyword for a false schema (additionalProperties: false, say).
                var keyword = key.Length == 0 ? "schema" : key;
                var message = QuotesTheValue.Contains(keyword)
                    ? $"The number is outside the schema's {keyword}."
                    : text.Length > PlanViolation.MaxMessageLength ? text[..PlanViolation.MaxMessageLength] : text;
                var violation = new PlanViolation(keyword, path, message);
                if (seen.Add(violation))
                {
                    violations.Add(violation);
                }
            }
        }

        if (violations.Count == 0)
        {
            // A schema that fails without naming a keyword (false, say) still fails: say so.
            violations.Add(new PlanViolation("schema", dataPath, "The value does not match the plan's schema."));
        }

        return Limited(violations, dataPath);
    }

    /// <summary>At most <see cref="MaxViolations"/>, the last saying how many more; null for none.</summary>
    private static List<PlanViolation>? Limited(List<PlanViolation> violations, string dataPath)
    {
        if (violations.Count == 0)
        {
            return null;
        }

        if (violations.Count > MaxViolations)
        {
            var more = violations.Count - (MaxViolations - 1);
            violations.RemoveRange(MaxViolations - 1, more);
            violations.Add(new PlanViolation("more", dataPath, $"{more} more violations are not listed."));
        }

        return violations;
    }
}
