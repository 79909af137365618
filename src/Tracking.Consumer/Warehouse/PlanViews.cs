using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tracking.Plans;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// One view per track event a source's plan names, as Segment's per-event tables: <c>&lt;source&gt;_&lt;event&gt;</c> in
/// snake_case (see <see cref="PlanViewNames"/>), over <c>events</c> of that source and event, with the columns of
/// <c>tracks</c> (<see cref="SegmentViews"/>) and then one typed column per top-level property of the event's schema.
/// A value of another JSON type than the plan says (a flag-mode plan lets such events in), a number out of the
/// column type's range, or a date-time that is not a valid RFC 3339 time gives NULL, never an error that would fail
/// every query of the view.
/// </summary>
/// <remarks>
/// Names from the plan reach the SQL only as snake_case identifiers, as string literals (the source and event
/// filter, PostgreSQL's JSON keys) escaped for the dialect, or on Redshift as a quoted SUPER attribute. A name
/// PostgreSQL or Redshift cannot store (a NUL character, a lone surrogate) matches no event, so it gets no view or
/// column. Redshift navigates SUPER by attribute, which keeps the key's case only with
/// <c>enable_case_sensitive_identifier</c> on when the view is made (<see cref="PlanViewSync"/> sets it); an
/// attribute name Redshift cannot take (longer than 127 bytes, control characters) gets no column there.
/// </remarks>
internal static class PlanViews
{
    /// <summary>The names of the warehouse's own tables and views: no per-event view takes one.</summary>
    internal static readonly IReadOnlySet<string> FixedNames = new HashSet<string>(
        [
            .. SegmentViews.Names, "events", "dead_letters", "shard_leases", "consumer_schema_migrations", RedshiftSql.StreamIdentityTable,
            "regulations", PlanViewSync.Table, RedshiftSql.CheckpointTable, RedshiftSql.LoadLockTable, RedshiftSql.StagingTable,
        ],
        StringComparer.Ordinal);

    private const string TimestampPattern =
        "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$";

    /// <summary>The columns every per-event view starts with, as <c>tracks</c> has them.</summary>
    private static IEnumerable<(string Name, string Sql)> Common(bool redshift) =>
    [
        .. SegmentViews.CommonColumns.Select(c => (c.Name, SegmentViews.Select(c, redshift))),
        ("event", SegmentViews.EventSlug(redshift)),
        ("event_text", SegmentViews.Select(new ViewColumn("event_text", "event"), redshift)),
        .. SegmentViews.ContextColumns.Select(c => (c.Name, SegmentViews.Select(c, redshift))),
        ("context", "context"),
    ];

    /// <summary>The views the plans call for, in name order.</summary>
    public static IReadOnlyList<PlanView> For(IEnumerable<(string Source, PlanDocument Plan)> plans, bool redshift)
    {
        var limit = redshift ? PlanViewNames.RedshiftLimit : PlanViewNames.PostgresLimit;
        var events = plans
            .Where(p => Storable(p.Source))
            .SelectMany(p => (p.Plan.Tracks ?? new Dictionary<string, JsonNode?>()).Where(e => Storable(e.Key)).Select(e => (p.Source, Event: e.Key, Schema: e.Value)))
            .ToList();
        var names = PlanViewNames.Assign(
            [.. events.Select(e => (
                PlanViewNames.Slug(e.Event) is { Length: > 0 } slug ? $"{PlanViewNames.Slug(e.Source)}_{slug}" : "",
                $"{PlanViewNames.Slug(e.Source)}_event",
                $"{e.Source}\n{e.Event}"))],
            FixedNames,
            limit);

        var commonNames = Common(redshift).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var views = new List<PlanView>();
        for (var i = 0; i < events.Count; i++)
        {
            var (source, name, schema) = events[i];
            var properties = Properties(schema).Where(p => Storable(p.Key) && (!redshift || Navigable(p.Key))).ToList();
            var columns = PlanViewNames.Assign([.. properties.Select(p => (PlanViewNames.Slug(p.Key), "property", p.Key))], commonNames, limit);
            var select = Common(redshift).Select(c => c.Sql)
                .Concat(properties.Select((p, j) => $"{Typed(p.Key, p.Kind, redshift)} AS \"{columns[j]}\""));
            var statement =
                $"CREATE VIEW \"{names[i]}\" AS\nSELECT\n    {string.Join(",\n    ", select)}\nFROM events\n" +
                $"WHERE type = 'track' AND source = {Literal(source, redshift)} AND event = {Literal(name, redshift)}";
            views.Add(new PlanView(names[i], source, name, statement, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(statement)))));
        }

        return [.. views.OrderBy(v => v.Name, StringComparer.Ordinal)];
    }

    /// <summary>The top-level properties of an event's schema with the column type each gets, in the plan's order.</summary>
    internal static IEnumerable<(string Key, PlanPropertyKind Kind)> Properties(JsonNode? schema)
    {
        if (schema is not JsonObject { } fields || fields["properties"] is not JsonObject properties)
        {
            yield break;
        }

        foreach (var (key, property) in properties)
        {
            yield return (key, KindOf(property));
        }
    }

    /// <summary>The column type of one property's schema: its one <c>type</c> (beside <c>null</c>), else the JSON as it is.</summary>
    internal static PlanPropertyKind KindOf(JsonNode? schema)
    {
        if (schema is not JsonObject fields)
        {
            return PlanPropertyKind.Json;
        }

        var types = fields["type"] switch
        {
            JsonValue one when one.TryGetValue<string>(out var type) => [type],
            JsonArray many => many.Select(t => t is JsonValue v && v.TryGetValue<string>(out var type) ? type : "?").Where(t => t != "null").ToList(),
            _ => [],
        };
        if (types.Count != 1)
        {
            return PlanPropertyKind.Json;
        }

        var format = fields["format"] is JsonValue f && f.TryGetValue<string>(out var text) ? text : null;
        return types[0] switch
        {
            "string" when format == "date-time" => PlanPropertyKind.Timestamp,
            "string" => PlanPropertyKind.Text,
            "integer" => PlanPropertyKind.Integer,
            "number" => PlanPropertyKind.Number,
            "boolean" => PlanPropertyKind.Boolean,
            "object" => PlanPropertyKind.Object,
            "array" => PlanPropertyKind.Array,
            _ => PlanPropertyKind.Json,
        };
    }

    /// <summary>The property's value as its column type, NULL when it is not of that type.</summary>
    private static string Typed(string key, PlanPropertyKind kind, bool redshift)
    {
        if (redshift)
        {
            var v = $"properties.\"{key.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            var s = $"CAST({v} AS VARCHAR({EventColumns.RedshiftMaxVarcharBytes}))";
            return kind switch
            {
                PlanPropertyKind.Text => $"CASE WHEN JSON_TYPEOF({v}) = 'string' THEN {s} END",
                PlanPropertyKind.Integer => $"CASE WHEN IS_BIGINT({v}) THEN CAST({v} AS BIGINT) END",
                PlanPropertyKind.Number => $"CASE WHEN JSON_TYPEOF({v}) = 'number' THEN CAST({v} AS DOUBLE PRECISION) END",
                PlanPropertyKind.Boolean => $"CASE WHEN JSON_TYPEOF({v}) = 'boolean' THEN CAST({v} AS BOOLEAN) END",

                // Each check nests in the one before: only a string of the right form is cut up, only a real day is cast.
                PlanPropertyKind.Timestamp =>
                    $"CASE WHEN JSON_TYPEOF({v}) = 'string' THEN CASE WHEN {s} ~ '{TimestampPattern}' AND SUBSTRING({s}, 1, 4) <> '0000' THEN " +
                    $"CASE WHEN CAST(SUBSTRING({s}, 9, 2) AS INTEGER) <= DATE_PART(day, LAST_DAY(TO_DATE(SUBSTRING({s}, 1, 7) || '-01', 'YYYY-MM-DD'))) " +
                    $"THEN CAST({s} AS TIMESTAMPTZ) END END END",
                PlanPropertyKind.Object => $"CASE WHEN JSON_TYPEOF({v}) = 'object' THEN {v} END",
                PlanPropertyKind.Array => $"CASE WHEN JSON_TYPEOF({v}) = 'array' THEN {v} END",
                _ => v,
            };
        }

        var k = Literal(key, redshift: false);
        var value = $"(properties -> {k})";
        var number = $"{value}::numeric";
        var text = $"(properties ->> {k})";
        return kind switch
        {
            PlanPropertyKind.Text => $"CASE WHEN jsonb_typeof({value}) = 'string' THEN {text} END",

            // jsonb keeps any number exactly: only a whole one within bigint is cast, only one within float8's range.
            PlanPropertyKind.Integer =>
                $"CASE WHEN jsonb_typeof({value}) = 'number' THEN CASE WHEN {number} = trunc({number}) AND abs({number}) <= 9223372036854775807 THEN {number}::bigint END END",
            PlanPropertyKind.Number =>
                $"CASE WHEN jsonb_typeof({value}) = 'number' THEN CASE WHEN {number} = 0 OR abs({number}) BETWEEN 1e-307 AND 1e308 THEN {number}::double precision END END",
            PlanPropertyKind.Boolean => $"CASE WHEN jsonb_typeof({value}) = 'boolean' THEN {value}::boolean END",
            PlanPropertyKind.Timestamp =>
                $"CASE WHEN jsonb_typeof({value}) = 'string' THEN CASE WHEN {text} ~ '{TimestampPattern}' AND substr({text}, 1, 4) <> '0000' THEN " +
                $"CASE WHEN substr({text}, 9, 2)::int <= extract(day FROM make_date(substr({text}, 1, 4)::int, substr({text}, 6, 2)::int, 1) + interval '1 month' - interval '1 day') " +
                $"THEN {text}::timestamptz END END END",
            PlanPropertyKind.Object => $"CASE WHEN jsonb_typeof({value}) = 'object' THEN {value} END",
            PlanPropertyKind.Array => $"CASE WHEN jsonb_typeof({value}) = 'array' THEN {value} END",
            _ => value,
        };
    }

    /// <summary>
    /// A string literal of a name from a plan. PostgreSQL: an <c>E''</c> literal, read the same whatever
    /// <c>standard_conforming_strings</c> says. Redshift reads backslashes in literals as escapes: doubled too.
    /// </summary>
    internal static string Literal(string value, bool redshift)
    {
        var escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal);
        return redshift ? $"'{escaped}'" : $"E'{escaped}'";
    }

    /// <summary>Whether the warehouse can hold <paramref name="name"/> as text: no NUL, no lone surrogate.</summary>
    internal static bool Storable(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '\0' || char.IsLowSurrogate(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1]))
                {
                    return false;
                }

                i++;
            }
        }

        return true;
    }

    /// <summary>Whether Redshift takes <paramref name="key"/> as a quoted SUPER attribute: 1 to 127 bytes, no control characters.</summary>
    private static bool Navigable(string key) =>
        key.Length > 0 && Encoding.UTF8.GetByteCount(key) <= PlanViewNames.RedshiftLimit && !key.Any(char.IsControl);
}
