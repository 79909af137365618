using Npgsql;
using NpgsqlTypes;

namespace Tracking.Consumer.Regulations;

/// <summary>Writes and reads <c>regulations</c> rows, the same SQL in both dialects (Redshift keeps the id as text).</summary>
internal static class RegulationRecords
{
    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, RegulationResult r, bool idAsText, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(RegulationSql.InsertRegulation, connection, transaction);
        insert.Parameters.Add(idAsText
            ? new NpgsqlParameter { Value = r.Id.ToString(), NpgsqlDbType = NpgsqlDbType.Varchar }
            : new NpgsqlParameter { Value = r.Id, NpgsqlDbType = NpgsqlDbType.Uuid });
        foreach (var text in (string[])[r.Action, r.IdKind, r.Subject, r.RequestedBy])
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = text, NpgsqlDbType = NpgsqlDbType.Varchar });
        }

        insert.Parameters.Add(new NpgsqlParameter { Value = r.RequestedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        insert.Parameters.Add(new NpgsqlParameter { Value = r.FinishedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        insert.Parameters.Add(new NpgsqlParameter { Value = r.Outcome, NpgsqlDbType = NpgsqlDbType.Varchar });
        insert.Parameters.Add(new NpgsqlParameter { Value = r.EventsDeleted, NpgsqlDbType = NpgsqlDbType.Bigint });
        insert.Parameters.Add(new NpgsqlParameter { Value = r.DeadLettersDeleted, NpgsqlDbType = NpgsqlDbType.Bigint });
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)Truncated(r.Error) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records a deletion that failed, on a connection of its own: the failed transaction cannot carry it.</summary>
    public static async Task InsertFailedAsync(NpgsqlDataSource dataSource, RegulationResult failed, bool idAsText, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await InsertAsync(connection, null, failed, idAsText, cancellationToken);
    }

    public static async Task<RegulationList> ListAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var select = new NpgsqlCommand(RegulationSql.ListRegulations, connection);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var list = new List<RegulationResult>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new RegulationResult(
                Guid.Parse(reader.GetValue(0).ToString()!),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero),
                new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero),
                reader.GetString(7),
                reader.GetInt64(8),
                reader.GetInt64(9),
                reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        return new RegulationList(list);
    }

    /// <summary>The error column holds 4,096 bytes on Redshift: a long message is cut, well within it.</summary>
    private static string? Truncated(string? error) => error is { Length: > 1000 } ? error[..1000] : error;
}
