using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// Writes a drafted plan as YAML that <see cref="YamlToJson"/> reads back to the same plan: block mappings, flow
/// sequences of scalars, strings plain only when no YAML reader could take them for anything else (double-quoted
/// otherwise), and the <c>x-observed</c> counts as comments above the keys they describe (an entry, a property, an
/// array's items) instead of as data.
/// </summary>
internal static partial class PlanDraftYaml
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf", "infinity",
    };

    public static string Write(JsonObject plan)
    {
        var text = new StringBuilder();
        if (plan[PlanDraft.Observed] is JsonObject observed)
        {
            text.Append("# Tracking plan drafted from observed traffic. Counts: ").Append(Summary(observed)).Append('\n');
        }

        WriteMapping(text, plan, 0, new Place(Kind.Top));
        return text.ToString();
    }

    private enum Kind
    {
        Other,
        Top,
        Section,
        Entry,
        Schema,
        Properties,
    }

    /// <summary>
    /// Where in the plan a mapping is: <c>x-observed</c> is an extension only at the top and in an entry (anywhere
    /// else it is a name, an event's or a property's), and a property's counts are found by its path.
    /// </summary>
    /// <param name="Kind">What the mapping is.</param>
    /// <param name="Counts">The entry's counts by path, once inside an entry.</param>
    /// <param name="Path">The path of the schema (or of the schema whose properties the mapping is).</param>
    private readonly record struct Place(Kind Kind, JsonObject? Counts = null, string Path = "")
    {
        public bool HasExtensions => Kind is Kind.Top or Kind.Entry;

        public Place Child(string key, JsonNode? value) => Kind switch
        {
            Kind.Top when key is "track" or "page" or "screen" => new Place(Kind.Section),
            Kind.Top when key is "identify" or "group" => EntryOf(value),
            Kind.Section => EntryOf(value),
            Kind.Entry when key is "properties" or "traits" => new Place(Kind.Schema, Counts),
            Kind.Schema when key == "properties" => new Place(Kind.Properties, Counts, Path),
            Kind.Schema when key == "items" => new Place(Kind.Schema, Counts, Path + "/" + PlanDraft.ItemsSegment),
            Kind.Properties => new Place(Kind.Schema, Counts, Path + "/" + PlanDraft.Escape(key)),
            _ => new Place(Kind.Other),
        };

        private static Place EntryOf(JsonNode? value) =>
            new(Kind.Entry, value is JsonObject o && o[PlanDraft.Observed] is JsonObject observed && observed["properties"] is JsonObject counts ? counts : null);
    }

    private static void WriteMapping(StringBuilder text, JsonObject mapping, int indent, Place place)
    {
        foreach (var (key, value) in mapping)
        {
            if (place.HasExtensions && key == PlanDraft.Observed)
            {
                continue;
            }

            var pad = new string(' ', indent);
            var child = place.Child(key, value);
            var observed = child.Kind == Kind.Entry ? (value as JsonObject)?[PlanDraft.Observed] as JsonObject
                : child.Kind == Kind.Schema && place.Kind is Kind.Properties or Kind.Schema ? child.Counts?[child.Path] as JsonObject
                : null;
            if (observed is not null)
            {
                text.Append(pad).Append("# ").Append(Summary(observed)).Append('\n');
            }

            text.Append(pad).Append(Key(key)).Append(':');
            switch (value)
            {
                case JsonObject nested when nested.Any(m => !(child.HasExtensions && m.Key == PlanDraft.Observed)):
                    text.Append('\n');
                    WriteMapping(text, nested, indent + 2, child);
                    break;
                case JsonObject:
                    text.Append(" {}\n");
                    break;
                case JsonArray array when array.All(i => i is not (JsonObject or JsonArray)):
                    text.Append(" [").AppendJoin(", ", array.Select(Scalar)).Append("]\n");
                    break;
                case JsonArray array:
                    text.Append('\n');
                    foreach (var item in array)
                    {
                        text.Append(pad).Append("  -");
                        if (item is JsonObject itemMapping)
                        {
                            text.Append('\n');
                            WriteMapping(text, itemMapping, indent + 4, new Place(Kind.Other));
                        }
                        else
                        {
                            text.Append(' ').Append(Scalar(item)).Append('\n');
                        }
                    }

                    break;
                default:
                    text.Append(' ').Append(Scalar(value)).Append('\n');
                    break;
            }
        }
    }

    /// <summary>An <c>x-observed</c> object on one line: <c>events 12; types: string 10, null 2</c>.</summary>
    private static string Summary(JsonObject observed) =>
        OneLine(string.Join("; ", observed.Where(m => m.Key != "properties").Select(m => m.Value is JsonObject inner
            ? $"{m.Key}: {string.Join(", ", inner.Select(i => $"{i.Key} {Plain(i.Value)}"))}"
            : $"{m.Key} {Plain(m.Value)}")));

    private static string Plain(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? "null";

    private static string OneLine(string text) => ControlCharacters().Replace(text, " ");

    private static string Key(string key) => PlainKey().IsMatch(key) && !Reserved.Contains(key) ? key : Quoted(key);

    private static string Scalar(JsonNode? value)
    {
        if (value is null)
        {
            return "null";
        }

        var v = (JsonValue)value;
        return v.GetValueKind() switch
        {
            JsonValueKind.String when v.GetValue<string>() is var s => PlainValue().IsMatch(s) && !Reserved.Contains(s) ? s : Quoted(s),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => v.ToJsonString(),
        };
    }

    /// <summary>A YAML double-quoted scalar: only the quote, the backslash and control characters escaped, the rest as it is (UTF-8).</summary>
    private static string Quoted(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    quoted.Append("\\\"");
                    break;
                case '\\':
                    quoted.Append("\\\\");
                    break;
                case var control when char.IsControl(control) || control is '\u2028' or '\u2029' or '\ufeff' or '\ufffe' or '\uffff':
                    quoted.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    quoted.Append(c);
                    break;
            }
        }

        return quoted.Append('"').ToString();
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_ .-]*(?<! )$")]
    private static partial Regex PlainKey();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]*$")]
    private static partial Regex PlainValue();

    [GeneratedRegex(@"[\p{Cc}\u2028\u2029\ufeff\ufffe\uffff]")]
    private static partial Regex ControlCharacters();
}
