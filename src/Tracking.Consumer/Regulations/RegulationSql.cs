using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tracking.Consumer.Regulations;

/// <summary>
/// The SQL of a deletion, per dialect. Every value is a parameter; only the column (<c>user_id</c> or
/// <c>anonymous_id</c>) is chosen, from the two fixed names, never from the request.
/// </summary>
internal static partial class RegulationSql
{
    /// <summary>PostgreSQL migration 6: the <c>regulations</c> table.</summary>
    public const string PostgresTable = """
        CREATE TABLE regulations (
            id                   uuid PRIMARY KEY,
            action               text NOT NULL,
            id_kind              text NOT NULL,
            subject              text NOT NULL,
            requested_by         text NOT NULL,
            requested_at         timestamptz NOT NULL,
            finished_at          timestamptz NOT NULL,
            outcome              text NOT NULL,
            events_deleted       bigint NOT NULL,
            dead_letters_deleted bigint NOT NULL,
            error                text
        );
        CREATE INDEX regulations_subject ON regulations (id_kind, subject);
        """;

    /// <summary>Redshift migration 5: the <c>regulations</c> table (an id is at most 256 characters, 1,024 bytes of UTF-8).</summary>
    public const string RedshiftTable = """
        CREATE TABLE regulations (
            id                   VARCHAR(36) NOT NULL,
            action               VARCHAR(16) NOT NULL,
            id_kind              VARCHAR(16) NOT NULL,
            subject              VARCHAR(1024) NOT NULL,
            requested_by         VARCHAR(1024) NOT NULL,
            requested_at         TIMESTAMPTZ NOT NULL,
            finished_at          TIMESTAMPTZ NOT NULL,
            outcome              VARCHAR(16) NOT NULL,
            events_deleted       BIGINT NOT NULL,
            dead_letters_deleted BIGINT NOT NULL,
            error                VARCHAR(4096)
        )
        """;

    /// <summary>Both dialects: removes the events of one id; $1 the id.</summary>
    public static string DeleteEvents(string kind) => kind == RegulationKinds.UserId
        ? "DELETE FROM events WHERE user_id = $1"
        : "DELETE FROM events WHERE anonymous_id = $1";

    /// <summary>PostgreSQL: removes every dead letter whose payload holds the id as a JSON string; $1 to $n its <paramref name="forms"/> encodings (bytea).</summary>
    public static string PostgresDeleteDeadLetters(int forms) =>
        $"DELETE FROM dead_letters WHERE {string.Join(" OR ", Enumerable.Range(1, forms).Select(i => $"position(${i} in payload) > 0"))}";

    /// <summary>Redshift: removes every dead letter kept inline whose payload holds the id as a JSON string; $1 to $n its <paramref name="forms"/> encodings.</summary>
    public static string RedshiftDeleteInlineDeadLetters(int forms) =>
        $"DELETE FROM dead_letters WHERE payload IS NOT NULL AND ({string.Join(" OR ", Enumerable.Range(1, forms).Select(i => $"strpos(payload, ${i}) > 0"))})";

    /// <summary>Redshift: the dead letters whose payload is kept on S3, to be read and judged one by one.</summary>
    public const string RedshiftSelectDeadLettersOnS3 = "SELECT stream, shard_id, sequence_number, payload_url FROM dead_letters WHERE payload IS NULL AND payload_url IS NOT NULL";

    /// <summary>Both dialects: records a regulation; $1 to $11 its columns in order.</summary>
    public const string InsertRegulation = """
        INSERT INTO regulations (id, action, id_kind, subject, requested_by, requested_at, finished_at, outcome, events_deleted, dead_letters_deleted, error)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        """;

    /// <summary>Both dialects: the last 100 regulations, newest first.</summary>
    public const string ListRegulations = """
        SELECT id, action, id_kind, subject, requested_by, requested_at, finished_at, outcome, events_deleted, dead_letters_deleted, error
        FROM regulations ORDER BY requested_at DESC LIMIT 100
        """;

    /// <summary>
    /// The id as a JSON string value, quotes included, as the API writes it (non-ASCII kept as UTF-8) and as writers
    /// that escape everything but ASCII do (System.Text.Json with upper-case hex, most others lower-case): a payload
    /// holding one of them holds the id as a value somewhere.
    /// </summary>
    public static IReadOnlyList<byte[]> JsonStringForms(string id)
    {
        var relaxed = JsonEncodedText.Encode(id, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString();
        var escaped = JsonEncodedText.Encode(id, JavaScriptEncoder.Default).ToString();
        var lowerHex = UnicodeEscape().Replace(escaped, m => m.Value.ToLowerInvariant());
        return [.. new[] { relaxed, escaped, lowerHex }.Distinct(StringComparer.Ordinal).Select(form => Encoding.UTF8.GetBytes($"\"{form}\""))];
    }

    /// <summary>True when <paramref name="payload"/> holds one of <paramref name="forms"/>.</summary>
    public static bool Holds(ReadOnlySpan<byte> payload, IReadOnlyList<byte[]> forms)
    {
        foreach (var form in forms)
        {
            if (payload.IndexOf(form) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\\u[0-9A-F]{4}")]
    private static partial System.Text.RegularExpressions.Regex UnicodeEscape();

    /// <summary>The forms as text, for Redshift's VARCHAR payloads.</summary>
    public static IReadOnlyList<string> AsText(IReadOnlyList<byte[]> forms) => [.. forms.Select(f => Encoding.UTF8.GetString(f))];
}
