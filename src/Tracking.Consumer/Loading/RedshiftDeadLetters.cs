using System.Text;
using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Writes dead letters to Redshift's <c>dead_letters</c>, for a load and for a re-drive alike: a payload
/// <c>VARCHAR</c> can hold is kept as text, any other (binary, a KPL aggregate, invalid UTF-8, too long) on S3 under the
/// record's own key and referenced by URL.
/// </summary>
internal static class RedshiftDeadLetters
{
    /// <summary>The longest reason kept, in bytes: our own message, quoting at most a short error text.</summary>
    internal const int MaxReasonBytes = 4096;

    /// <summary>Each letter's payload as text when <c>VARCHAR</c> can hold it, else kept on S3 (before the
    /// transaction that references it) and given by its URL.</summary>
    public static async Task<List<(DeadLetter Letter, string? Text, string? Url)>> PrepareAsync(S3Staging staging, ShardFence fence, IReadOnlyList<DeadLetter> letters, CancellationToken cancellationToken)
    {
        var prepared = new List<(DeadLetter, string?, string?)>(letters.Count);
        foreach (var letter in letters)
        {
            var span = letter.Payload.Span;
            if (span.Length <= EventColumns.RedshiftMaxVarcharBytes && System.Text.Unicode.Utf8.IsValid(span) && !span.Contains((byte)0))
            {
                prepared.Add((letter, Encoding.UTF8.GetString(span), null));
            }
            else
            {
                prepared.Add((letter, null, await staging.KeepDeadLetterAsync(fence, letter, cancellationToken)));
            }
        }

        return prepared;
    }

    /// <summary>Replaces any letter of the same record and inserts each, in the caller's transaction.</summary>
    public static async Task InsertAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string stream,
        string shardId,
        IReadOnlyList<(DeadLetter Letter, string? Text, string? Url)> letters,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (letter, text, url) in letters)
        {
            var delete = new NpgsqlBatchCommand(RedshiftSql.DeleteDeadLetter);
            delete.Parameters.Add(Parameter(stream, NpgsqlDbType.Varchar));
            delete.Parameters.Add(Parameter(shardId, NpgsqlDbType.Varchar));
            delete.Parameters.Add(Parameter(letter.SequenceNumber, NpgsqlDbType.Varchar));
            batch.BatchCommands.Add(delete);

            var insert = new NpgsqlBatchCommand(RedshiftSql.InsertDeadLetter);
            insert.Parameters.Add(Parameter(stream, NpgsqlDbType.Varchar));
            insert.Parameters.Add(Parameter(shardId, NpgsqlDbType.Varchar));
            insert.Parameters.Add(Parameter(letter.SequenceNumber, NpgsqlDbType.Varchar));
            insert.Parameters.Add(Parameter(Truncated(letter.Reason, MaxReasonBytes), NpgsqlDbType.Varchar));
            insert.Parameters.Add(Parameter(text, NpgsqlDbType.Varchar));
            insert.Parameters.Add(Parameter(url, NpgsqlDbType.Varchar));
            insert.Parameters.Add(Parameter(now.UtcDateTime, NpgsqlDbType.TimestampTz));
            batch.BatchCommands.Add(insert);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Truncated(string reason, int maxBytes)
    {
        while (Encoding.UTF8.GetByteCount(reason) > maxBytes)
        {
            reason = reason[..(reason.Length * 3 / 4)];
        }

        return reason;
    }

    private static NpgsqlParameter Parameter(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
