using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Redrive;

/// <summary>
/// Reads <c>dead_letters</c> again with today's code and loads what now loads, on PostgreSQL. A dead letter is read
/// as the shard loop reads a record (<see cref="DeadLetterReading"/>), so what a fixed consumer loads from the
/// stream it also loads from here, under the same <c>message_id</c>. A letter loads only whole (all its loadable rows, or none); its rows are
/// inserted if absent and the letter deleted in one transaction (a letter an older consumer wrote for a whole KPL aggregate
/// is replaced by one letter per user record that still fails, as the shard loop writes them today), so a crash or a second re-drive at the same time
/// (the pages are locked with <c>SKIP LOCKED</c>) never loads a row twice nor loses a letter.
/// </summary>
internal sealed partial class PostgresRedrive(NpgsqlDataSource dataSource, TimeProvider timeProvider, ILogger<PostgresRedrive> logger)
{
    /// <summary>Dead letters read and committed at a time.</summary>
    internal const int PageSize = 500;

    private const string Savepoint = "letter";

    private const string SelectPage = """
        SELECT id, stream, shard_id, sequence_number, payload FROM dead_letters
        WHERE id > $1
          AND ($2::text IS NULL OR starts_with(reason, $2))
          AND ($3::timestamptz IS NULL OR failed_at >= $3)
          AND ($4::timestamptz IS NULL OR failed_at < $4)
          AND ($5::text IS NULL OR stream = $5)
          AND id <= $7
        ORDER BY id
        LIMIT $6
        FOR UPDATE SKIP LOCKED
        """;

    public async Task<RedriveResult> RunAsync(RedriveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = new RedriveResult { DryRun = request.DryRun };
        long after = 0;
        // Only the letters there when the run began: the user records a split writes have higher ids, and reading them
        // in the same run would count them twice.
        long last;
        await using (var max = dataSource.CreateCommand("SELECT coalesce(max(id), 0) FROM dead_letters"))
        {
            last = (long)(await max.ExecuteScalarAsync(cancellationToken))!;
        }

        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var page = await ReadPageAsync(connection, transaction, request, after, last, cancellationToken);
            var now = timeProvider.GetUtcNow();
            foreach (var letter in page)
            {
                await RedriveAsync(connection, transaction, letter, now, result, cancellationToken);
            }

            if (request.DryRun)
            {
                await transaction.RollbackAsync(cancellationToken);
            }
            else
            {
                await transaction.CommitAsync(cancellationToken);
            }

            if (page.Count < PageSize)
            {
                break;
            }

            after = page[^1].Id;
        }

        LogDone(result.DryRun, result.Examined, result.Loaded, result.EventsInserted, result.Duplicates, result.Split, result.UserRecordsStillFailing, result.StillFailing);
        return result;
    }

    private static async Task<List<Letter>> ReadPageAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RedriveRequest request, long after, long last, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand(SelectPage, connection, transaction);
        select.Parameters.Add(new NpgsqlParameter { Value = after, NpgsqlDbType = NpgsqlDbType.Bigint });
        select.Parameters.Add(new NpgsqlParameter { Value = (object?)request.Reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        select.Parameters.Add(new NpgsqlParameter { Value = (object?)request.From?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        select.Parameters.Add(new NpgsqlParameter { Value = (object?)request.To?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        select.Parameters.Add(new NpgsqlParameter { Value = (object?)request.Stream ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        select.Parameters.Add(new NpgsqlParameter { Value = PageSize, NpgsqlDbType = NpgsqlDbType.Integer });
        select.Parameters.Add(new NpgsqlParameter { Value = last, NpgsqlDbType = NpgsqlDbType.Bigint });
        var page = new List<Letter>(PageSize);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(new Letter(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<byte[]>(4)));
        }

        return page;
    }

    private static async Task RedriveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Letter letter, DateTimeOffset now, RedriveResult result, CancellationToken cancellationToken)
    {
        result.Examined++;
        var reread = DeadLetterReading.Read(letter.Stream, letter.ShardId, letter.SequenceNumber, letter.Payload);
        if (reread.Whole is { } whole)
        {
            result.StillFails(whole.Reason);
            return;
        }

        await transaction.SaveAsync(Savepoint, cancellationToken);
        var inserted = 0;
        try
        {
            foreach (var row in reread.Rows)
            {
                await using var insert = new NpgsqlCommand(PostgresSql.InsertEvent, connection, transaction);
                foreach (var column in EventColumns.All)
                {
                    insert.Parameters.Add(PostgresSql.Parameter(column, row));
                }

                inserted += await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var delete = new NpgsqlCommand("DELETE FROM dead_letters WHERE id = $1", connection, transaction))
            {
                delete.Parameters.Add(new NpgsqlParameter { Value = letter.Id, NpgsqlDbType = NpgsqlDbType.Bigint });
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            if (reread.Parts.Count > 0)
            {
                await DeadLetters.InsertAsync(connection, transaction, letter.Stream, letter.ShardId, reread.Parts, now, cancellationToken);
            }
        }
        catch (PostgresException exception) when (PostgresLoader.IsRefusedData(exception))
        {
            await transaction.RollbackAsync(Savepoint, cancellationToken);
            result.StillFails(new DeadLetter(letter.SequenceNumber, $"PostgreSQL refused it: {exception.SqlState} {exception.MessageText}", letter.Payload).Reason);
            return;
        }

        await transaction.ReleaseAsync(Savepoint, cancellationToken);
        result.Loads(reread.Parts);
        result.Inserted(reread.Rows.Count, inserted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-drive of dead letters (dry run: {DryRun}): examined {Examined}, loaded {Loaded} ({Inserted} events inserted, {Duplicates} already held; {Split} aggregates split, leaving {UserRecords} user records), still failing {StillFailing}")]
    private partial void LogDone(bool dryRun, long examined, long loaded, long inserted, long duplicates, long split, long userRecords, long stillFailing);

    private sealed record Letter(long Id, string Stream, string ShardId, string SequenceNumber, byte[] Payload);
}
