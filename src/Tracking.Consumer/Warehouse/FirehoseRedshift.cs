using System.Text;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// What users of the Firehose sink need so that Firehose's own <c>COPY</c> lands in the same <c>events</c> table the
/// consumer loads: the table's DDL, a JSONPaths file mapping the API's camelCase fields to the columns, and the
/// <c>COPY</c> settings of the Firehose Redshift destination. All of it is generated from <see cref="EventColumns"/>
/// and <see cref="RedshiftSql"/>; a test keeps <c>docs/firehose-redshift.md</c> and
/// <c>docs/firehose-redshift.jsonpaths</c> equal to this output.
/// </summary>
internal static class FirehoseRedshift
{
    /// <summary>The file name users upload to S3 and name in <see cref="CopyOptions"/>.</summary>
    public const string JsonPathsFileName = "firehose-redshift.jsonpaths";

    /// <summary>The JSONPaths file: the n-th path fills the n-th column of <see cref="DataTableColumns"/>.</summary>
    public static string JsonPaths()
    {
        var paths = EventColumns.FromFields.Select(c => $"    \"$['{c.Field}']\"");
        return $"{{\n  \"jsonpaths\": [\n{string.Join(",\n", paths)}\n  ]\n}}\n";
    }

    /// <summary>The Firehose destination's <c>DataTableColumns</c>: every loaded column, <c>"timestamp"</c> quoted as the
    /// Redshift reserved word it is (Firehose puts the list into its <c>COPY</c> as given); <c>loaded_at</c> takes its default.</summary>
    public static string DataTableColumns => string.Join(",", EventColumns.FromFields.Select(c => EventColumns.Quote(c.Name)));

    /// <summary>The Firehose destination's <c>CopyOptions</c> for a JSONPaths file at <paramref name="jsonPathsUrl"/>.</summary>
    public static string CopyOptions(string jsonPathsUrl) => $"FORMAT JSON {RedshiftSql.Literal(jsonPathsUrl)} GZIP TIMEFORMAT 'auto'";

    /// <summary>The whole of <c>docs/firehose-redshift.md</c>.</summary>
    public static string Document()
    {
        var text = new StringBuilder();
        text.Append("""
            # Firehose into Redshift: the same `events` table as the consumer

            <!-- Generated from src/Tracking.Consumer/Warehouse/FirehoseRedshift.cs and EventColumns.cs; do not edit.
                 Regenerate with: UPDATE_DOCS=1 dotnet test tests/Tracking.Consumer.Tests --filter FirehoseRedshiftDocs -->

            With `Tracking:Sink=Firehose` the API sends each event as one JSON line to a Firehose stream, and Firehose
            loads Redshift itself: it stages the records on S3 and runs `COPY` with the options of its Redshift
            destination. With the settings below it loads them into the table the consumer creates and loads
            (`Consumer:Warehouse:Dialect=Redshift`), column for column, so queries do not care which path an event took.

            ## 1. The table

            Let the consumer create it (it does so on start), or create it yourself with exactly this DDL:

            ```sql

            """);
        text.Append(new RedshiftSql().SchemaVersion1[0]).Append(";\n");
        foreach (var statement in RedshiftSql.SchemaVersion2.Concat(RedshiftSql.SchemaVersion7))
        {
            text.Append(statement).Append(";\n");
        }

        text.Append("```\n\n");
        text.Append($$"""
            `loaded_at` is set by the consumer to the load's time and defaults to `GETDATE()` for Firehose's `COPY`.
            `unparsed_times` is filled by the consumer only (a time it does not accept, kept as sent); Firehose leaves it NULL.
            `violations` is the event's tracking plan violations (see `docs/tracking-plans.md`), filled on both paths.
            Text columns are `VARCHAR` sized in bytes; the JSON fields go to `SUPER` columns (a value up to 16 MB, a
            string inside it up to 65,535 bytes).

            ## 2. The JSONPaths file

            Upload this file (also in the repository as [`docs/{{JsonPathsFileName}}`]({{JsonPathsFileName}})) to S3 where
            the cluster's role can read it. The n-th path fills the n-th column of `DataTableColumns` below; JSON
            `auto` would not do, as the API writes camelCase fields and the columns are snake_case.

            ```json

            """);
        text.Append(JsonPaths()).Append("```\n\n");
        text.Append($$"""
            ## 3. The Firehose Redshift destination

            | Setting | Value |
            |---|---|
            | `CopyCommand.DataTableName` | `events` |
            | `CopyCommand.DataTableColumns` | `{{DataTableColumns}}` |
            | `CopyCommand.CopyOptions` | `{{CopyOptions("s3://<bucket>/<key>/" + JsonPathsFileName)}}` |
            | `S3Configuration.CompressionFormat` | `GZIP` (it must match `GZIP` in the copy options) |

            Firehose adds the rest of the `COPY` itself: the `FROM` of its manifest, `MANIFEST`, and the credentials of its role.

            ## 4. What differs from the consumer's path

            - **Duplicates.** Firehose delivers at least once and its `COPY` appends: an event the API sent twice (a
              client retry with the same `messageId`) or a delivery Firehose retried can appear twice. The consumer
              removes duplicates within `Consumer:Redshift:DedupWindow`; on the Firehose path, deduplicate in queries
              (`row_number() OVER (PARTITION BY message_id ORDER BY loaded_at) = 1`) or by a scheduled job.
            - **Values too large for a column.** The consumer sends such a record to `dead_letters` and loads the rest of
              its batch. Firehose's `COPY` fails the whole file instead, retries for the destination's retry duration,
              then leaves the file's manifest under the S3 error prefix; `STL_LOAD_ERRORS` names the row and column.
              Values are never truncated on either path (no `TRUNCATECOLUMNS`).
            - **Load cadence.** Firehose's buffering hints decide it (up to 900 s or 128 MiB); the consumer's defaults for
              Redshift are about one load per shard per minute or 64 MiB.

            ## 5. How this was checked

            A test posts events to the real API with its file sink (which writes the same JSON lines the Firehose sink
            sends), applies this JSONPaths file to every line, and compares each column's value with what the consumer
            loads from the same line. No Redshift cluster or Firehose stream was used: the DDL and `COPY` options are
            checked as text.

            """);
        return text.ToString();
    }
}
