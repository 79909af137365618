using System.Text;
using System.Text.Json;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Sets aside, before anything is staged, the rows Redshift would refuse or cut: a text value longer than its
/// <c>VARCHAR</c> column (COPY fails the whole load on one, INSERT refuses it, and neither may silently truncate
/// it), a string inside a JSON value longer than <c>SUPER</c> holds, or a JSON value larger than a <c>SUPER</c>.
/// </summary>
internal static class RedshiftRows
{
    /// <summary>The largest <c>SUPER</c> value: 16 MB.</summary>
    internal const int MaxSuperBytes = 16 * 1024 * 1024;

    /// <summary>The rows Redshift can hold, and the dead letters: the batch's own followed by the rows refused here.</summary>
    public static (List<EventRow> Rows, List<DeadLetter> DeadLetters) Vet(IReadOnlyList<EventRow> rows, IReadOnlyList<DeadLetter> deadLetters)
    {
        var kept = new List<EventRow>(rows.Count);
        var letters = new List<DeadLetter>(deadLetters);
        foreach (var row in rows)
        {
            if (Problem(row) is { } problem)
            {
                letters.Add(new DeadLetter(row.SequenceNumber, problem, row.Payload));
            }
            else
            {
                kept.Add(row);
            }
        }

        return (kept, letters);
    }

    /// <summary>Whether any JSON value of the row is too long for a <c>VARCHAR</c> parameter of <c>JSON_PARSE</c>: such rows go by COPY.</summary>
    public static bool NeedsCopy(EventRow row) =>
        EventColumns.All.Any(c => c.Kind == ColumnKind.Json && c.Value(row) is string json && Encoding.UTF8.GetByteCount(json) > EventColumns.RedshiftMaxVarcharBytes);

    /// <summary>Why Redshift cannot hold the row, or <see langword="null"/>.</summary>
    internal static string? Problem(EventRow row)
    {
        foreach (var column in EventColumns.All)
        {
            if (column.Value(row) is not string value)
            {
                continue;
            }

            var bytes = Encoding.UTF8.GetByteCount(value);
            if (column.Kind == ColumnKind.Text && bytes > column.MaxBytes)
            {
                return $"{column.What} is {bytes} bytes; the Redshift column events.{column.Name} holds at most {column.MaxBytes} ({RedshiftSql.TypeOf(column)}), and values are never truncated";
            }

            if (column.Kind == ColumnKind.Json)
            {
                if (bytes > MaxSuperBytes)
                {
                    return $"{column.What} is {bytes} bytes of JSON; a Redshift SUPER value holds at most {MaxSuperBytes}";
                }

                // A string longer than the limit needs a JSON text at least as long: most values skip the walk.
                if (bytes > EventColumns.RedshiftMaxVarcharBytes && LongestString(value) is var longest && longest > EventColumns.RedshiftMaxVarcharBytes)
                {
                    return $"{column.What} holds a string of {longest} bytes; a string inside a Redshift SUPER value holds at most {EventColumns.RedshiftMaxVarcharBytes}";
                }
            }
        }

        return null;
    }

    /// <summary>The UTF-8 length of the longest string or property name in a JSON text.</summary>
    private static int LongestString(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 256 });
        var longest = 0;
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                var length = reader.ValueIsEscaped ? Encoding.UTF8.GetByteCount(reader.GetString()!) : reader.ValueSpan.Length;
                longest = Math.Max(longest, length);
            }
        }

        return longest;
    }
}
