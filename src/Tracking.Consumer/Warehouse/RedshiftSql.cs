using System.Globalization;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// Every statement the Redshift dialect runs, generated in this one place from <see cref="EventColumns"/>. Values
/// travel as <c>$n</c> parameters only; the few literals (the manifest URL and IAM role of <c>COPY</c>, which takes
/// no parameters) come from validated settings and are quoted by <see cref="Literal"/>, never from event text.
/// </summary>
/// <remarks>
/// The statements keep to syntax Redshift and PostgreSQL share wherever they can, so the tests run them on PostgreSQL.
/// What PostgreSQL cannot run is confined to <see cref="TableAttributes"/> (distribution and sort keys, omitted
/// when <paramref name="tableAttributes"/> is false), the <c>SUPER</c> type and the <c>JSON_PARSE</c> and
/// <c>GETDATE</c> functions (which a rehearsal database stands in for with a domain and functions), and <see cref="Copy"/>.
/// </remarks>
/// <param name="tableAttributes">Whether to emit Redshift's <c>DISTKEY</c>/<c>SORTKEY</c> table attributes.</param>
internal sealed class RedshiftSql(bool tableAttributes = true)
{
    /// <summary>The staging table: the loaded columns plus the row's position in its batch, which picks the first of in-batch duplicates.</summary>
    public const string StagingTable = "events_staging";

    /// <summary>The checkpoint table, in Redshift beside the rows: its fenced update commits with them.</summary>
    public const string CheckpointTable = "shard_checkpoints";

    /// <summary>The longest stream name, shard id, sequence number or owner stored (Kinesis: 128, 128, 128, and our 256).</summary>
    private const int KeyBytes = 256;

    /// <summary>The statements of Redshift schema version 1, in order: <c>events</c>, <c>dead_letters</c>, <see cref="CheckpointTable"/>, <see cref="LoadLockTable"/>.</summary>
    public IReadOnlyList<string> SchemaVersion1 =>
    [
        $"""
        CREATE TABLE events (
        {ColumnDefinitions(version: 1, loadedAt: true)}
        ){TableAttributes("SORTKEY (received_at)")}
        """,
        $"""
        CREATE TABLE dead_letters (
            stream          VARCHAR({KeyBytes}) NOT NULL,
            shard_id        VARCHAR({KeyBytes}) NOT NULL,
            sequence_number VARCHAR({KeyBytes}) NOT NULL,
            reason          VARCHAR(4096) NOT NULL,
            payload         VARCHAR({EventColumns.RedshiftMaxVarcharBytes}),
            payload_url     VARCHAR(2048),
            failed_at       TIMESTAMPTZ NOT NULL
        )
        """,
        $"""
        CREATE TABLE {CheckpointTable} (
            stream          VARCHAR({KeyBytes}) NOT NULL,
            shard_id        VARCHAR({KeyBytes}) NOT NULL,
            owner           VARCHAR({KeyBytes}),
            counter         BIGINT NOT NULL,
            checkpoint      VARCHAR({KeyBytes}),
            finished        BOOLEAN NOT NULL
        )
        """,
        $"CREATE TABLE {LoadLockTable} (unused BOOLEAN)",
    ];

    /// <summary>The statements of Redshift schema version 2: <c>events.unparsed_times</c>, the times not in the accepted form, as sent.</summary>
    public static IReadOnlyList<string> SchemaVersion2 =>
    [
        $"ALTER TABLE events ADD COLUMN {EventColumns.UnparsedTimes} SUPER",
    ];

    /// <summary>The statements of Redshift schema version 7: <c>events.violations</c>, the event's tracking plan violations.</summary>
    public static IReadOnlyList<string> SchemaVersion7 =>
    [
        $"ALTER TABLE events ADD COLUMN {EventColumns.Violations} SUPER",
    ];

    /// <summary>The statements of Redshift schema version 8: <see cref="PlanViewSync.Table"/>, the per-event views the consumer made.</summary>
    public static IReadOnlyList<string> SchemaVersion8 =>
    [
        $"""
        CREATE TABLE {PlanViewSync.Table} (
            view_name       VARCHAR({PlanViewNames.RedshiftLimit}) NOT NULL,
            source          VARCHAR({EventColumns.RedshiftMaxVarcharBytes}) NOT NULL,
            event           VARCHAR({EventColumns.RedshiftMaxVarcharBytes}) NOT NULL,
            definition_hash VARCHAR(64) NOT NULL,
            created_at      TIMESTAMPTZ NOT NULL
        )
        """,
    ];

    /// <summary>The table that says which stream of each name the checkpoints belong to.</summary>
    public const string StreamIdentityTable = "stream_identities";

    /// <summary>The statements of Redshift schema version 4: <see cref="StreamIdentityTable"/>, so a stream deleted and
    /// created again under its name is read afresh rather than by the old stream's checkpoints.</summary>
    public static IReadOnlyList<string> SchemaVersion4 =>
    [
        $"""
        CREATE TABLE {StreamIdentityTable} (
            stream      VARCHAR({KeyBytes}) NOT NULL,
            created_at  TIMESTAMPTZ NOT NULL,
            arn         VARCHAR(2048),
            recorded_at TIMESTAMPTZ NOT NULL
        )
        """,
    ];

    /// <summary>The stream a name's checkpoints belong to: $1 stream.</summary>
    public static string ReadStreamIdentity => $"SELECT created_at, arn FROM {StreamIdentityTable} WHERE stream = $1";

    /// <summary>Records the first stream of a name: $1 stream, $2 created at, $3 ARN.</summary>
    public static string InsertStreamIdentity => $"INSERT INTO {StreamIdentityTable} (stream, created_at, arn, recorded_at) VALUES ($1, $2, $3, GETDATE())";

    /// <summary>Records a newer stream of a name: $1 stream, $2 created at, $3 ARN.</summary>
    public static string UpdateStreamIdentity => $"UPDATE {StreamIdentityTable} SET created_at = $2, arn = $3, recorded_at = GETDATE() WHERE stream = $1";

    /// <summary>Moves a replaced stream's checkpoints aside: $1 the aside name, $2 stream.</summary>
    public static string MoveCheckpointsAside => $"UPDATE {CheckpointTable} SET stream = $1 WHERE stream = $2";

    /// <summary>Creates the migrations table if missing; Redshift has no advisory locks, so <see cref="LockMigrations"/> serialises workers.</summary>
    public static string CreateMigrationsTable =>
        "CREATE TABLE IF NOT EXISTS consumer_schema_migrations (version INTEGER NOT NULL, description VARCHAR(256) NOT NULL, applied_at TIMESTAMPTZ NOT NULL)";

    public static string LockMigrations => "LOCK TABLE consumer_schema_migrations";

    public static string CurrentVersion => "SELECT coalesce(max(version), 0) FROM consumer_schema_migrations";

    /// <summary>$1 version, $2 description, $3 applied at.</summary>
    public static string RecordMigration => "INSERT INTO consumer_schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)";

    /// <summary>An empty table whose lock serialises the writers: see <see cref="LockLoads"/>.</summary>
    public const string LoadLockTable = "consumer_load_lock";

    /// <summary>
    /// Serialises the transactions that write the warehouse's tables, every load and every lease claim, as their
    /// first statement. Two loads then never interleave, which is what keeps Redshift's serializable isolation from
    /// aborting one of them (error 1023). A Redshift <c>LOCK</c> also makes readers of the locked table wait, so it
    /// locks a table nobody reads rather than <c>events</c> or <c>shard_checkpoints</c>: queries and the lease
    /// coordinator's listing are never held up by a load.
    /// </summary>
    public static string LockLoads => $"LOCK TABLE {LoadLockTable}";

    /// <summary>Moves the checkpoint when the fence holds: $1 checkpoint (kept when null), $2 finished, $3 stream, $4 shard, $5 owner, $6 counter.</summary>
    public static string AdvanceCheckpoint =>
        $"""
        UPDATE {CheckpointTable}
           SET checkpoint = coalesce(CAST($1 AS VARCHAR({KeyBytes})), checkpoint), finished = (finished OR $2)
         WHERE stream = $3 AND shard_id = $4 AND owner = $5 AND counter = $6
        """;

    /// <summary>Reads a shard's checkpoint row: $1 stream, $2 shard.</summary>
    public static string ReadCheckpoint => $"SELECT counter, checkpoint, finished FROM {CheckpointTable} WHERE stream = $1 AND shard_id = $2";

    /// <summary>Every checkpoint of a stream: $1 stream.</summary>
    public static string ListCheckpoints => $"SELECT shard_id, checkpoint, finished FROM {CheckpointTable} WHERE stream = $1";

    /// <summary>Hands the fence to a new lease holder: $1 owner, $2 counter, $3 stream, $4 shard. Only a higher counter wins.</summary>
    public static string ClaimCheckpoint => $"UPDATE {CheckpointTable} SET owner = $1, counter = $2 WHERE stream = $3 AND shard_id = $4 AND counter < $2";

    /// <summary>The first claim of a shard: $1 stream, $2 shard, $3 owner, $4 counter.</summary>
    public static string InsertCheckpoint => $"INSERT INTO {CheckpointTable} (stream, shard_id, owner, counter, checkpoint, finished) VALUES ($1, $2, $3, $4, NULL, false)";

    /// <summary>A staging table for one load, dropped before its transaction commits (Redshift has no <c>ON COMMIT</c> clause).</summary>
    public string CreateStaging =>
        $"""
        CREATE TEMP TABLE {StagingTable} (
            batch_position  INTEGER NOT NULL,
        {ColumnDefinitions(version: int.MaxValue, loadedAt: false)}
        ){TableAttributes(null)}
        """;

    public static string DropStaging => $"DROP TABLE {StagingTable}";

    /// <summary>
    /// Drops staged rows <c>events</c> already holds: $1 the oldest <c>received_at</c> looked at. The window keeps the
    /// join to recent blocks of the <c>received_at</c> sort key; rows outside it are not compared. A row without
    /// <c>received_at</c> (a producer other than the API) is compared by its <c>loaded_at</c>: NULL never passes
    /// <c>&gt;=</c>, and every replay of such a row was inserted again.
    /// </summary>
    public static string DeleteAlreadyLoaded =>
        $"DELETE FROM {StagingTable} USING events WHERE events.message_id = {StagingTable}.message_id AND (events.received_at >= $1 OR (events.received_at IS NULL AND events.loaded_at >= $1))";

    /// <summary>Inserts what is left, the first staged copy of each <c>message_id</c> only: $1 <c>loaded_at</c>.</summary>
    public static string InsertFromStaging =>
        $"""
        INSERT INTO events ({EventColumns.List()}, loaded_at)
        SELECT {EventColumns.List()}, CAST($1 AS TIMESTAMPTZ)
          FROM (SELECT {EventColumns.List()},
                       row_number() OVER (PARTITION BY message_id ORDER BY batch_position) AS copy_number
                  FROM {StagingTable}) staged
         WHERE copy_number = 1
        """;

    /// <summary>A multi-row parameterised INSERT into staging for <paramref name="rows"/> rows; JSON goes through <c>JSON_PARSE</c>.</summary>
    public static string InsertIntoStaging(int rows)
    {
        var perRow = EventColumns.All.Count + 1;
        var values = Enumerable.Range(0, rows).Select(row =>
        {
            var first = (row * perRow) + 1;
            var cells = new List<string> { $"${first}" };
            cells.AddRange(EventColumns.All.Select((column, i) =>
                column.Kind == ColumnKind.Json ? $"JSON_PARSE(${first + 1 + i})" : $"${first + 1 + i}"));
            return $"({string.Join(", ", cells)})";
        });
        return $"INSERT INTO {StagingTable} (batch_position, {EventColumns.List()}) VALUES {string.Join(", ", values)}";
    }

    /// <summary>Removes a dead letter a replay would add twice (Redshift enforces no unique key): $1 stream, $2 shard, $3 sequence number.</summary>
    public static string DeleteDeadLetter => "DELETE FROM dead_letters WHERE stream = $1 AND shard_id = $2 AND sequence_number = $3";

    /// <summary>$1 stream, $2 shard, $3 sequence number: a row when <c>dead_letters</c> holds that letter.</summary>
    public static string DeadLetterExists => "SELECT 1 FROM dead_letters WHERE stream = $1 AND shard_id = $2 AND sequence_number = $3 LIMIT 1";

    /// <summary>$1 stream, $2 shard, $3 sequence number, $4 reason, $5 payload text, $6 payload URL, $7 failed at.</summary>
    public static string InsertDeadLetter =>
        "INSERT INTO dead_letters (stream, shard_id, sequence_number, reason, payload, payload_url, failed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

    /// <summary>
    /// Loads the staged files a manifest lists into the staging table. Keys are matched to column names
    /// (<c>auto ignorecase</c>: plain <c>auto</c> matches case-sensitively), nested objects become <c>SUPER</c>,
    /// ISO 8601 times are read by <c>TIMEFORMAT 'auto'</c>. Statistics and compression analysis are skipped: the
    /// table lives for one transaction.
    /// </summary>
    public static string Copy(string manifestUrl, string iamRole, string region) =>
        $"COPY {StagingTable} FROM {Literal(manifestUrl)} IAM_ROLE {Literal(iamRole)} REGION {Literal(region)} " +
        "FORMAT JSON 'auto ignorecase' GZIP MANIFEST TIMEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF";

    /// <summary>A SQL string literal; settings only, never event text.</summary>
    public static string Literal(string value) => $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";

    /// <summary>The Redshift type of a column.</summary>
    public static string TypeOf(EventColumn column) => column.Kind switch
    {
        ColumnKind.Text => string.Create(CultureInfo.InvariantCulture, $"VARCHAR({column.MaxBytes})"),
        ColumnKind.Timestamp => "TIMESTAMPTZ",
        _ => "SUPER",
    };

    /// <summary>The definitions of the columns up to schema <paramref name="version"/>: a released version's DDL never changes.</summary>
    private static string ColumnDefinitions(int version, bool loadedAt)
    {
        var lines = EventColumns.All.Where(c => c.Since <= version).Select(c => $"    {EventColumns.Quote(c.Name),-18} {TypeOf(c)}{(c.Name == "message_id" ? " NOT NULL" : string.Empty)}").ToList();
        if (loadedAt)
        {
            // The default is for loads that do not set it: Firehose's own COPY into this table.
            lines.Add($"    {"loaded_at",-18} TIMESTAMPTZ NOT NULL DEFAULT GETDATE()");
        }

        return string.Join("," + Environment.NewLine, lines);
    }

    /// <summary>
    /// Distribution by <c>message_id</c> on both tables makes the dedup join local to each slice; the sort key on
    /// <c>received_at</c> lets the dedup window (and most queries) skip old blocks.
    /// </summary>
    private string TableAttributes(string? sortKey) =>
        tableAttributes ? $" DISTKEY (message_id){(sortKey is null ? string.Empty : " " + sortKey)}" : string.Empty;
}
