using System.Globalization;
using System.Text.Json.Nodes;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// A tracking plan drafted from a source's observed traffic, in the format <see cref="TrackingPlanLoader"/> reads:
/// every observed name listed with a JSON Schema of its properties built from the types seen (several types give
/// a type array; <c>required</c> lists the members present in every observed event of the name), unlisted names
/// a violation, and what was counted in <c>x-observed</c> members of the plan and of each entry (beside the schema,
/// by JSON Pointer path, <c>[]</c> for an array's items), which the loader ignores.
/// </summary>
internal static class PlanDraft
{
    /// <summary>The member of the plan and of each entry that holds what was counted.</summary>
    public const string Observed = "x-observed";

    /// <summary>The sections drafted with names, always present so that a name of a type never observed is flagged too.</summary>
    private static readonly string[] NamedSections = ["track", "page", "screen"];

    public static JsonObject Build(string source, SourceObservation? observation, PlanDraftOptions options)
    {
        var plan = new JsonObject();
        if (observation is null)
        {
            plan["description"] = $"Drafted from the traffic of source '{source}': no event observed yet.";
            plan["unplanned"] = "violation";
            plan[Observed] = new JsonObject { ["source"] = source, ["events"] = 0, ["accepted"] = 0 };
            foreach (var section in NamedSections)
            {
                plan[section] = new JsonObject();
            }

            return plan;
        }

        lock (observation.Gate)
        {
            plan["description"] =
                $"Drafted from {observation.Observed} events of source '{source}' observed from {Time(observation.FirstSeen)} to {Time(observation.LastSeen)}. Review it before use.";
            plan["unplanned"] = "violation";
            plan[Observed] = new JsonObject
            {
                ["source"] = source,
                ["events"] = observation.Observed,
                ["accepted"] = observation.Offered,
                ["firstSeen"] = Time(observation.FirstSeen),
                ["lastSeen"] = Time(observation.LastSeen),
                ["omittedEvents"] = observation.OmittedEvents,
                ["unnamed"] = observation.Unnamed,
                ["maxEventsPerSecond"] = options.MaxEventsPerSecond,
            };

            foreach (var section in NamedSections)
            {
                var entries = new JsonObject();
                foreach (var ((_, name), observed) in observation.Names.Where(n => n.Key.Section == section).OrderBy(n => n.Key.Name, StringComparer.Ordinal))
                {
                    entries[name] = Entry(observed, "properties");
                }

                plan[section] = entries;
            }

            foreach (var section in (string[])["identify", "group"])
            {
                if (observation.Names.TryGetValue((section, ""), out var observed))
                {
                    plan[section] = Entry(observed, "traits");
                }
            }
        }

        return plan;
    }

    /// <summary>The path segment that stands for an array's items in the <c>x-observed</c> paths.</summary>
    public const string ItemsSegment = "[]";

    private static JsonObject Entry(ObservedName observed, string member)
    {
        var counts = new JsonObject();
        var schema = new JsonObject { ["type"] = "object" };
        Members(schema, observed.Root, observed.Events, "", counts);
        return new JsonObject
        {
            [Observed] = new JsonObject
            {
                ["events"] = observed.Events,
                ["firstSeen"] = Time(observed.FirstSeen),
                ["lastSeen"] = Time(observed.LastSeen),
                ["omittedProperties"] = observed.OmittedProperties,
                ["properties"] = counts,
            },
            [member] = schema,
        };
    }

    /// <summary>
    /// The schema of what was seen at <paramref name="path"/>, its counts added to <paramref name="counts"/> (kept
    /// out of the schema itself: the plan's schemas are checked strictly, an unknown keyword is refused).
    /// </summary>
    private static JsonObject Schema(ObservedShape shape, string path, JsonObject counts)
    {
        var types = new JsonObject();
        var names = new List<string>();
        for (var i = 0; i < ObservedShape.TypeNames.Length; i++)
        {
            if (shape.Types[i] > 0)
            {
                types[ObservedShape.TypeNames[i]] = shape.Types[i];

                // "number" takes in the integers: listing both says nothing more.
                if (i != ObservedShape.Rewritten && (i != ObservedShape.Integer || shape.Types[ObservedShape.Number] == 0))
                {
                    names.Add(ObservedShape.TypeNames[i]);
                }
            }
        }

        // The plan checks the value as sent, before the privacy rules: a rewritten string may have been any scalar.
        if (shape.Types[ObservedShape.Rewritten] > 0)
        {
            names.AddRange([.. ((string[])["string", "number", "boolean"]).Except(names, StringComparer.Ordinal)]);
            names.Remove("integer");
            names.Sort((a, b) => Array.IndexOf(ObservedShape.TypeNames, a).CompareTo(Array.IndexOf(ObservedShape.TypeNames, b)));
        }

        counts[path] = new JsonObject { ["count"] = shape.Count, ["types"] = types };
        var schema = new JsonObject();
        if (names.Count > 0)
        {
            schema["type"] = names.Count == 1 ? names[0] : new JsonArray([.. names.Select(n => JsonValue.Create(n))]);
        }

        Members(schema, shape, shape.Types[ObservedShape.Object], path, counts);
        if (shape.Items is not null)
        {
            schema["items"] = Schema(shape.Items, path + "/" + ItemsSegment, counts);
        }

        return schema;
    }

    /// <summary>The object's members as <c>properties</c>, and as <c>required</c> those present in all <paramref name="objects"/> objects seen.</summary>
    private static void Members(JsonObject schema, ObservedShape shape, long objects, string path, JsonObject counts)
    {
        if (shape.Members is not { Count: > 0 } members)
        {
            return;
        }

        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var (name, member) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            properties[name] = Schema(member, path + "/" + Escape(name), counts);
            if (member.Count >= objects)
            {
                required.Add(name);
            }
        }

        if (required.Count > 0)
        {
            schema["required"] = required;
        }

        schema["properties"] = properties;
    }

    /// <summary>A member name as a JSON Pointer segment.</summary>
    public static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string? Time(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
