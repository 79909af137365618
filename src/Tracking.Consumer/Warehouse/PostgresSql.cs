using Npgsql;
using NpgsqlTypes;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// The statements the PostgreSQL dialect runs against <c>events</c>, generated in this one place from
/// <see cref="EventColumns"/>, as <see cref="RedshiftSql"/> is for Redshift: a column added there is staged, copied,
/// inserted and re-driven without another list to keep in step. Values travel as COPY fields and <c>$n</c>
/// parameters only.
/// </summary>
/// <remarks>
/// The released migrations (<see cref="PostgresSchema.Migrations"/>) are not generated: a migration already applied
/// must never change, so they keep their text and a test holds the migrated table to this definition.
/// </remarks>
internal static class PostgresSql
{
    /// <summary>The loader's temporary staging table.</summary>
    public const string StagingTable = "events_staging";

    /// <summary>
    /// Creates the staging table, the loaded columns of <c>events</c> without their constraints, if the connection
    /// lacks it. <c>ON COMMIT DELETE ROWS</c> keeps the table for the connection's next load while each commit empties it.
    /// </summary>
    public static readonly string CreateStaging =
        $"CREATE TEMP TABLE IF NOT EXISTS {StagingTable} ({string.Join(", ", EventColumns.All.Select(c => $"{EventColumns.Quote(c.Name)} {TypeOf(c)}"))}) ON COMMIT DELETE ROWS";

    /// <summary>Binary COPY into the staging table, one field per column of <see cref="EventColumns.All"/> in order (see <see cref="WriteAsync"/>).</summary>
    public static readonly string CopyIntoStaging = $"COPY {StagingTable} ({EventColumns.List()}) FROM STDIN (FORMAT BINARY)";

    /// <summary>
    /// Inserts the staged rows <c>events</c> lacks by <c>message_id</c>, then empties the staging table, so a part
    /// loaded after another never inserts the other's rows again.
    /// </summary>
    public static readonly string InsertFromStaging =
        $"INSERT INTO events ({EventColumns.List()}, loaded_at) SELECT {EventColumns.List()}, now() FROM {StagingTable} ON CONFLICT (message_id) DO NOTHING; TRUNCATE {StagingTable}";

    /// <summary>Inserts one row if <c>events</c> lacks its <c>message_id</c>: $1 to $n the columns of <see cref="EventColumns.All"/> (see <see cref="Parameter"/>).</summary>
    public static readonly string InsertEvent =
        $"INSERT INTO events ({EventColumns.List()}, loaded_at) VALUES ({string.Join(", ", EventColumns.All.Select((_, i) => $"${i + 1}"))}, now()) " +
        "ON CONFLICT (message_id) DO NOTHING";

    /// <summary>The PostgreSQL type of a column.</summary>
    public static string TypeOf(EventColumn column) => column.Kind switch
    {
        ColumnKind.Text => "text",
        ColumnKind.Timestamp => "timestamptz",
        _ => "jsonb",
    };

    /// <summary>The Npgsql type a column's value is sent as.</summary>
    public static NpgsqlDbType DbTypeOf(EventColumn column) => column.Kind switch
    {
        ColumnKind.Text => NpgsqlDbType.Text,
        ColumnKind.Timestamp => NpgsqlDbType.TimestampTz,
        _ => NpgsqlDbType.Jsonb,
    };

    /// <summary>Writes <paramref name="row"/>'s value of <paramref name="column"/> as the next field of a binary COPY.</summary>
    public static Task WriteAsync(NpgsqlBinaryImporter writer, EventColumn column, EventRow row, CancellationToken cancellationToken) =>
        column.Value(row) switch
        {
            null => writer.WriteNullAsync(cancellationToken),
            DateTimeOffset time => writer.WriteAsync(time.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken),
            string text => writer.WriteAsync(text, DbTypeOf(column), cancellationToken),
            var other => throw new InvalidOperationException($"Column {column.Name} gave a {other.GetType().Name}; a column's value is text or a time."),
        };

    /// <summary><paramref name="row"/>'s value of <paramref name="column"/> as a parameter of <see cref="InsertEvent"/>.</summary>
    public static NpgsqlParameter Parameter(EventColumn column, EventRow row) =>
        new()
        {
            Value = column.Value(row) switch
            {
                null => DBNull.Value,
                DateTimeOffset time => time.UtcDateTime,
                var value => value,
            },
            NpgsqlDbType = DbTypeOf(column),
        };
}
