using Tracking.Events;

namespace Tracking.Consumer.Warehouse;

/// <summary>What a column of <c>events</c> holds.</summary>
internal enum ColumnKind
{
    /// <summary>Text: <c>text</c> in PostgreSQL, <c>VARCHAR(n)</c> in Redshift.</summary>
    Text,

    /// <summary>A point in time: <c>timestamptz</c> / <c>TIMESTAMPTZ</c>.</summary>
    Timestamp,

    /// <summary>A JSON value: <c>jsonb</c> / <c>SUPER</c>.</summary>
    Json,
}

/// <summary>One column of <c>events</c>: its name, the field of an enriched event it comes from (empty for a column
/// the consumer derives), its kind, its Redshift width in bytes (text only), how a parsed <see cref="EventRow"/> gives
/// its value, and the schema version that added it.</summary>
internal sealed record EventColumn(string Name, string Field, ColumnKind Kind, int MaxBytes, Func<EventRow, object?> Value, int Since = 1)
{
    /// <summary>The field, or for a derived column its name: what a reason for refusing a value names.</summary>
    public string What => Field.Length > 0 ? Field : Name;
}

/// <summary>
/// The one definition of the loaded columns of <c>events</c>, in table order. The Redshift DDL, staging table, JSON
/// lines, INSERT statements, the Firehose JSONPaths file and its documentation (<see cref="RedshiftSql"/>), and
/// PostgreSQL's staging table, COPY and INSERT statements (<see cref="PostgresSql"/>) are all generated from it, so
/// the dialects, the re-drive and Firehose cannot drift apart. PostgreSQL's released migrations keep their text; a
/// test holds the migrated table to this list. (<c>loaded_at</c>, set by the loader, is not one of these columns.)
/// </summary>
internal static class EventColumns
{
    /// <summary>The longest Redshift <c>VARCHAR</c>, and the longest string a <c>SUPER</c> value may hold: 65,535 bytes.</summary>
    public const int RedshiftMaxVarcharBytes = 65_535;

    /// <summary>The longest <c>messageId</c> (and other id) the tables hold, in characters: well under the 2,704-byte
    /// limit of a PostgreSQL b-tree index row. Longer ids are dead letters before the load.</summary>
    public const int MaxMessageIdLength = 512;

    /// <summary>Ids are at most <see cref="MaxMessageIdLength"/> characters; 4 UTF-8 bytes each at worst.</summary>
    private const int IdBytes = MaxMessageIdLength * 4;

    public static readonly IReadOnlyList<EventColumn> All =
    [
        new("message_id", EventFields.MessageId, ColumnKind.Text, IdBytes, r => r.MessageId),
        new("type", EventFields.Type, ColumnKind.Text, 64, r => r.Type),
        new("event", EventFields.Event, ColumnKind.Text, 1024, r => r.Event),
        new("name", EventFields.Name, ColumnKind.Text, 1024, r => r.Name),
        new("user_id", EventFields.UserId, ColumnKind.Text, IdBytes, r => r.UserId),
        new("anonymous_id", EventFields.AnonymousId, ColumnKind.Text, IdBytes, r => r.AnonymousId),
        new("group_id", EventFields.GroupId, ColumnKind.Text, IdBytes, r => r.GroupId),
        new("previous_id", EventFields.PreviousId, ColumnKind.Text, IdBytes, r => r.PreviousId),
        new("timestamp", EventFields.Timestamp, ColumnKind.Timestamp, 0, r => r.Timestamp),
        new("original_timestamp", EventFields.OriginalTimestamp, ColumnKind.Timestamp, 0, r => r.OriginalTimestamp),
        new("sent_at", EventFields.SentAt, ColumnKind.Timestamp, 0, r => r.SentAt),
        new("received_at", EventFields.ReceivedAt, ColumnKind.Timestamp, 0, r => r.ReceivedAt),
        new("source", EventFields.Source, ColumnKind.Text, 256, r => r.Source),
        new("context", EventFields.Context, ColumnKind.Json, 0, r => r.Context),
        new("properties", EventFields.Properties, ColumnKind.Json, 0, r => r.Properties),
        new("traits", EventFields.Traits, ColumnKind.Json, 0, r => r.Traits),
        new("integrations", EventFields.Integrations, ColumnKind.Json, 0, r => r.Integrations),
        new(UnparsedTimes, string.Empty, ColumnKind.Json, 0, r => r.UnparsedTimes, Since: 2),
        new(Violations, EventFields.Violations, ColumnKind.Json, 0, r => r.Violations, Since: 6),
    ];

    /// <summary>The column of the event's tracking plan violations (NULL when it kept to its plan, or its source has none).</summary>
    public const string Violations = "violations";

    /// <summary>The column that keeps, as sent, the top-level times not in the accepted form (their typed columns are NULL).</summary>
    public const string UnparsedTimes = "unparsed_times";

    /// <summary>The columns a field of the enriched event fills directly: what Firehose's JSONPaths map.</summary>
    public static IEnumerable<EventColumn> FromFields => All.Where(c => c.Field.Length > 0);

    /// <summary>The column names, comma separated, quoted where a name is a reserved word.</summary>
    public static string List(string? alias = null) =>
        string.Join(", ", All.Select(c => alias is null ? Quote(c.Name) : $"{alias}.{Quote(c.Name)}"));

    /// <summary><c>timestamp</c> is a reserved word in Redshift and a type name in PostgreSQL; quoted, it is a column name in both.</summary>
    public static string Quote(string name) => name == "timestamp" ? "\"timestamp\"" : name;
}
