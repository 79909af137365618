namespace Tracking.Consumer.Warehouse;

/// <summary>One column of a Segment-shaped view: its name and where in <c>events</c> it comes from.</summary>
/// <param name="Name">The column name, as Segment's warehouse schema spells it.</param>
/// <param name="Column">The <c>events</c> column it reads.</param>
/// <param name="Path">Keys inside that JSON column, outermost first; empty for a column taken as it is.</param>
internal sealed record ViewColumn(string Name, string Column, params string[] Path);

/// <summary>
/// Views over <c>events</c> in the shape analysts who move from Segment or RudderStack know: one per call type
/// (<c>tracks</c>, <c>identifies</c>, <c>pages</c>, <c>screens</c>, <c>groups</c>, <c>aliases</c>) and <c>users</c>,
/// with Segment's column names (<c>id</c>, <c>received_at</c>, <c>user_id</c>, <c>event</c>, <c>event_text</c>,
/// flattened <c>context_*</c> columns, <c>uuid_ts</c>), so their dashboards and dbt models run unchanged. Generated
/// here for both dialects from one list of columns. Values from JSON are text; the JSON columns themselves stay
/// available for anything not flattened.
/// </summary>
/// <remarks>
/// Redshift reads JSON with <c>JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(col), 'key', …)</c> rather than <c>SUPER</c>
/// navigation (<c>col.key</c>): navigation folds <c>camelCase</c> keys such as <c>userAgent</c> to lower case unless every
/// session sets <c>enable_case_sensitive_identifier</c>, and would silently give NULL for them.
/// </remarks>
internal static class SegmentViews
{
    /// <summary>The view names, in creation order.</summary>
    public static readonly IReadOnlyList<string> Names = ["tracks", "identifies", "pages", "screens", "groups", "aliases", "users"];

    /// <summary>The flattened <c>context_*</c> columns every per-call view has.</summary>
    internal static readonly IReadOnlyList<ViewColumn> ContextColumns =
    [
        new("context_ip", "context", "ip"),
        new("context_user_agent", "context", "userAgent"),
        new("context_locale", "context", "locale"),
        new("context_timezone", "context", "timezone"),
        new("context_library_name", "context", "library", "name"),
        new("context_library_version", "context", "library", "version"),
        new("context_page_path", "context", "page", "path"),
        new("context_page_referrer", "context", "page", "referrer"),
        new("context_page_search", "context", "page", "search"),
        new("context_page_title", "context", "page", "title"),
        new("context_page_url", "context", "page", "url"),
        new("context_campaign_name", "context", "campaign", "name"),
        new("context_campaign_source", "context", "campaign", "source"),
        new("context_campaign_medium", "context", "campaign", "medium"),
        new("context_campaign_term", "context", "campaign", "term"),
        new("context_campaign_content", "context", "campaign", "content"),
        new("context_app_name", "context", "app", "name"),
        new("context_app_version", "context", "app", "version"),
        new("context_app_build", "context", "app", "build"),
        new("context_device_id", "context", "device", "id"),
        new("context_device_manufacturer", "context", "device", "manufacturer"),
        new("context_device_model", "context", "device", "model"),
        new("context_device_type", "context", "device", "type"),
        new("context_os_name", "context", "os", "name"),
        new("context_os_version", "context", "os", "version"),
    ];

    /// <summary>What every per-call view starts with.</summary>
    internal static readonly IReadOnlyList<ViewColumn> CommonColumns =
    [
        new("id", "message_id"),
        new("anonymous_id", "anonymous_id"),
        new("user_id", "user_id"),
        new("received_at", "received_at"),
        new("sent_at", "sent_at"),
        new("original_timestamp", "original_timestamp"),
        new("timestamp", "timestamp"),
        new("uuid_ts", "loaded_at"),
        new("source", "source"),
    ];

    /// <summary>Segment's reserved traits that its warehouses flatten, in its snake_case spelling.</summary>
    internal static readonly IReadOnlyList<ViewColumn> UserTraits =
    [
        new("email", "traits", "email"),
        new("name", "traits", "name"),
        new("first_name", "traits", "firstName"),
        new("last_name", "traits", "lastName"),
        new("phone", "traits", "phone"),
        new("username", "traits", "username"),
    ];

    private static readonly IReadOnlyList<ViewColumn> GroupTraits =
    [
        new("name", "traits", "name"),
        new("industry", "traits", "industry"),
        new("employees", "traits", "employees"),
        new("plan", "traits", "plan"),
    ];

    /// <summary>The per-call views: name, call type, and the columns after <see cref="CommonColumns"/> and before the context.</summary>
    internal static readonly IReadOnlyList<(string View, string Type, IReadOnlyList<ViewColumn> Columns)> CallViews =
    [
        ("tracks", "track", [new("event_text", "event"), new("properties", "properties")]),
        ("identifies", "identify", [.. UserTraits, new("traits", "traits")]),
        ("pages", "page", [
            new("name", "name"), new("category", "properties", "category"),
            new("path", "properties", "path"), new("referrer", "properties", "referrer"), new("search", "properties", "search"),
            new("title", "properties", "title"), new("url", "properties", "url"), new("properties", "properties")]),
        ("screens", "screen", [new("name", "name"), new("category", "properties", "category"), new("properties", "properties")]),
        ("groups", "group", [new("group_id", "group_id"), .. GroupTraits, new("traits", "traits")]),
        ("aliases", "alias", [new("previous_id", "previous_id")]),
    ];

    /// <summary>
    /// The statements creating every view, for PostgreSQL (<paramref name="redshift"/> false) or Redshift; with
    /// <paramref name="replace"/>, <c>CREATE OR REPLACE VIEW</c>, which keeps views that users built on ours.
    /// </summary>
    public static IReadOnlyList<string> Create(bool redshift, bool replace = false)
    {
        var create = replace ? "CREATE OR REPLACE VIEW" : "CREATE VIEW";
        var statements = new List<string>();
        foreach (var (view, type, columns) in CallViews)
        {
            var select = new List<string>();
            select.AddRange(CommonColumns.Select(c => Select(c, redshift)));
            if (view == "tracks")
            {
                // Segment's tracks.event is the event's name slugged (Order Completed → order_completed); event_text keeps it.
                select.Add(EventSlug(redshift));
            }

            select.AddRange(columns.Select(c => Select(c, redshift)));
            select.AddRange(ContextColumns.Select(c => Select(c, redshift)));
            select.Add("context");
            statements.Add($"{create} {view} AS\nSELECT\n    {string.Join(",\n    ", select)}\nFROM events\nWHERE type = '{type}'");
        }

        statements.Add(create + Users(redshift)["CREATE VIEW".Length..]);
        return statements;
    }

    /// <summary>
    /// <c>users</c>: one row per <c>user_id</c> that was identified, with its traits. On PostgreSQL every trait is its
    /// latest value across all the user's identify calls (Segment's merge); on Redshift, which has no ordered JSON
    /// merge, the traits are those of the latest identify call, which is what SDKs that resend every trait (analytics.js
    /// does) give as well.
    /// </summary>
    private static string Users(bool redshift)
    {
        if (!redshift)
        {
            var traits = string.Join(",\n    ", UserTraits.Select(t => $"merged.traits ->> '{t.Path[0]}' AS {t.Name}"));
            return $$"""
                CREATE VIEW users AS
                SELECT
                    latest.user_id AS id,
                    latest.received_at,
                    latest."timestamp",
                    {{traits}},
                    merged.traits
                FROM (
                    SELECT DISTINCT ON (user_id) user_id, received_at, "timestamp"
                    FROM events
                    WHERE type = 'identify' AND user_id IS NOT NULL
                    ORDER BY user_id, "timestamp" DESC NULLS LAST, received_at DESC NULLS LAST
                ) latest
                JOIN LATERAL (
                    SELECT jsonb_object_agg(trait.key, trait.value ORDER BY e."timestamp" NULLS FIRST, e.received_at NULLS FIRST) AS traits
                    FROM events e, jsonb_each(CASE WHEN jsonb_typeof(e.traits) = 'object' THEN e.traits ELSE '{}'::jsonb END) AS trait
                    WHERE e.type = 'identify' AND e.user_id = latest.user_id AND trait.value <> 'null'::jsonb
                ) merged ON true
                """;
        }

        var columns = string.Join(",\n    ", UserTraits.Select(t => $"{Extract(t.Column, t.Path, redshift: true)} AS {t.Name}"));
        return $"""
            CREATE VIEW users AS
            SELECT
                user_id AS id,
                received_at,
                "timestamp",
                {columns},
                traits
            FROM (
                SELECT user_id, received_at, "timestamp", traits,
                       ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY "timestamp" DESC NULLS LAST, received_at DESC NULLS LAST) AS recency
                FROM events
                WHERE type = 'identify' AND user_id IS NOT NULL
            ) latest
            WHERE recency = 1
            """;
    }

    /// <summary>Segment's <c>tracks.event</c>: the event's name slugged (Order Completed → order_completed).</summary>
    internal static string EventSlug(bool redshift) => redshift
        ? "BTRIM(REGEXP_REPLACE(LOWER(event), '[^a-z0-9]+', '_'), '_') AS event"
        : "btrim(regexp_replace(lower(event), '[^a-z0-9]+', '_', 'g'), '_') AS event";

    /// <summary>One column of a view's select list, named as <paramref name="column"/> says.</summary>
    internal static string Select(ViewColumn column, bool redshift)
    {
        var source = column.Path.Length == 0 ? EventColumns.Quote(column.Column) : Extract(column.Column, column.Path, redshift);
        var name = EventColumns.Quote(column.Name);
        return source == name ? source : $"{source} AS {name}";
    }

    /// <summary>The longest text JSON_SERIALIZE returns: Redshift's VARCHAR limit, in bytes.</summary>
    internal const int RedshiftSerializeLimit = 65535;

    private static string Extract(string column, string[] path, bool redshift) => redshift
        // Redshift answers a missing key with an empty string rather than NULL. JSON_SERIALIZE fails the whole query on
        // one value longer than a VARCHAR (a 64 KB event's context can be), so such a row's flattened columns are NULL
        // and the JSON column itself holds them; JSON_SIZE measures without serializing.
        ? $"CASE WHEN JSON_SIZE({column}) <= {RedshiftSerializeLimit} THEN NULLIF(JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE({column}), {string.Join(", ", path.Select(p => $"'{p}'"))}), '') END"
        : path.Length == 1 ? $"{column} ->> '{path[0]}'" : $"{column} #>> '{{{string.Join(",", path)}}}'";
}
