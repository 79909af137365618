using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Redrive;

/// <summary>
/// Reads <c>dead_letters</c> again with today's code and loads what now loads, on Redshift. Letters are read as the
/// shard loop reads records (<see cref="DeadLetterReading"/>); a payload kept on S3 (<c>payload_url</c>) is fetched.
/// Each page of loadable letters is one transaction, begun as every load is (<see cref="RedshiftSql.LockLoads"/>):
/// the letters are deleted first (a letter another re-drive took already deletes nothing, and its rows are left
/// out), their rows staged, those <c>events</c> holds dropped as a load drops them
/// (<see cref="RedshiftSql.DeleteAlreadyLoaded"/>), the rest inserted. Redshift has no savepoints: when it refuses a
/// page for its data, each letter of it is tried in a transaction of its own.
/// </summary>
internal sealed partial class RedshiftRedrive(
    NpgsqlDataSource dataSource,
    S3Staging staging,
    RedshiftSql sql,
    IOptions<RedshiftOptions> options,
    TimeProvider timeProvider,
    ILogger<RedshiftRedrive> logger)
{
    /// <summary>Dead letters read and committed at a time.</summary>
    internal const int PageSize = 500;

    private static readonly string SelectPage = $"""
        SELECT stream, shard_id, sequence_number, payload, payload_url FROM dead_letters
        WHERE (stream > $1 OR (stream = $1 AND (shard_id > $2 OR (shard_id = $2 AND sequence_number > $3))))
          AND ($4 IS NULL OR left(reason, length($4)) = $4)
          AND ($5 IS NULL OR failed_at >= $5)
          AND ($6 IS NULL OR failed_at < $6)
          AND ($7 IS NULL OR stream = $7)
        ORDER BY stream, shard_id, sequence_number
        LIMIT {PageSize}
        """;

    public async Task<RedriveResult> RunAsync(RedriveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = new RedriveResult { DryRun = request.DryRun };
        (string Stream, string Shard, string Sequence) after = (string.Empty, string.Empty, string.Empty);
        while (true)
        {
            var page = await ReadPageAsync(request, after, cancellationToken);
            var loadable = new List<Parsed>(page.Count);
            foreach (var letter in page)
            {
                result.Examined++;
                var payload = letter.Text is not null ? Encoding.UTF8.GetBytes(letter.Text) : await staging.ReadDeadLetterAsync(letter.Url!, cancellationToken);
                var (rows, deadLetters) = DeadLetterReading.Read(letter.Stream, letter.ShardId, letter.SequenceNumber, payload);
                if (deadLetters.Count > 0)
                {
                    result.StillFails(deadLetters[0].Reason);
                }
                else
                {
                    loadable.Add(new Parsed(letter, rows));
                }
            }

            if (loadable.Count > 0)
            {
                try
                {
                    Count(result, await LoadAsync(loadable, request.DryRun, cancellationToken));
                }
                catch (PostgresException exception) when (PostgresLoader.IsRefusedData(exception) && loadable.Count > 1)
                {
                    LogPageRefused(loadable.Count, exception.SqlState, exception.MessageText);
                    foreach (var one in loadable)
                    {
                        try
                        {
                            Count(result, await LoadAsync([one], request.DryRun, cancellationToken));
                        }
                        catch (PostgresException refused) when (PostgresLoader.IsRefusedData(refused))
                        {
                            result.StillFails(new DeadLetter(one.Letter.SequenceNumber, $"Redshift refused it: {refused.SqlState} {refused.MessageText}", ReadOnlyMemory<byte>.Empty).Reason);
                        }
                    }
                }
                catch (PostgresException exception) when (PostgresLoader.IsRefusedData(exception))
                {
                    result.StillFails(new DeadLetter(loadable[0].Letter.SequenceNumber, $"Redshift refused it: {exception.SqlState} {exception.MessageText}", ReadOnlyMemory<byte>.Empty).Reason);
                }
            }

            if (page.Count < PageSize)
            {
                break;
            }

            after = (page[^1].Stream, page[^1].ShardId, page[^1].SequenceNumber);
        }

        LogDone(result.DryRun, result.Examined, result.Loaded, result.EventsInserted, result.Duplicates, result.StillFailing);
        return result;
    }

    private static void Count(RedriveResult result, (int Letters, int Rows, int Inserted) loaded)
    {
        result.Loaded += loaded.Letters;
        result.EventsInserted += loaded.Inserted;
        result.Duplicates += loaded.Rows - loaded.Inserted;
    }

    private async Task<List<Letter>> ReadPageAsync(RedriveRequest request, (string Stream, string Shard, string Sequence) after, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var select = new NpgsqlCommand(SelectPage, connection);
        select.Parameters.Add(Parameter(after.Stream, NpgsqlDbType.Varchar));
        select.Parameters.Add(Parameter(after.Shard, NpgsqlDbType.Varchar));
        select.Parameters.Add(Parameter(after.Sequence, NpgsqlDbType.Varchar));
        select.Parameters.Add(Parameter(request.Reason, NpgsqlDbType.Varchar));
        select.Parameters.Add(Parameter(request.From?.UtcDateTime, NpgsqlDbType.TimestampTz));
        select.Parameters.Add(Parameter(request.To?.UtcDateTime, NpgsqlDbType.TimestampTz));
        select.Parameters.Add(Parameter(request.Stream, NpgsqlDbType.Varchar));
        var page = new List<Letter>(PageSize);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(new Letter(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return page;
    }

    /// <summary>Loads the letters' rows and deletes the letters in one transaction (rolled back in a dry run).</summary>
    private async Task<(int Letters, int Rows, int Inserted)> LoadAsync(IReadOnlyList<Parsed> letters, bool dryRun, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, RedshiftSql.LockLoads, cancellationToken);

        var taken = new List<Parsed>(letters.Count);
        await using (var delete = new NpgsqlBatch(connection, transaction))
        {
            foreach (var parsed in letters)
            {
                var command = new NpgsqlBatchCommand(RedshiftSql.DeleteDeadLetter);
                command.Parameters.Add(Parameter(parsed.Letter.Stream, NpgsqlDbType.Varchar));
                command.Parameters.Add(Parameter(parsed.Letter.ShardId, NpgsqlDbType.Varchar));
                command.Parameters.Add(Parameter(parsed.Letter.SequenceNumber, NpgsqlDbType.Varchar));
                delete.BatchCommands.Add(command);
            }

            await delete.ExecuteNonQueryAsync(cancellationToken);
            for (var i = 0; i < letters.Count; i++)
            {
                if (delete.BatchCommands[i].RecordsAffected > 0)
                {
                    taken.Add(letters[i]);
                }
            }
        }

        var rows = taken.SelectMany(p => p.Rows).ToList();
        var inserted = 0;
        if (rows.Count > 0)
        {
            await ExecuteAsync(connection, transaction, sql.CreateStaging, cancellationToken);
            await RedshiftLoader.InsertIntoStagingAsync(connection, transaction, rows, cancellationToken);
            var received = rows.Where(r => r.ReceivedAt is not null).Select(r => r.ReceivedAt!.Value).DefaultIfEmpty(now).Min();
            await using (var already = new NpgsqlCommand(RedshiftSql.DeleteAlreadyLoaded, connection, transaction))
            {
                already.Parameters.Add(Parameter((received - options.Value.DedupWindow).UtcDateTime, NpgsqlDbType.TimestampTz));
                await already.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var insert = new NpgsqlCommand(RedshiftSql.InsertFromStaging, connection, transaction))
            {
                insert.Parameters.Add(Parameter(now.UtcDateTime, NpgsqlDbType.TimestampTz));
                inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await ExecuteAsync(connection, transaction, RedshiftSql.DropStaging, cancellationToken);
        }

        if (dryRun)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (taken.Count, rows.Count, inserted);
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var url in taken.Select(p => p.Letter.Url).OfType<string>())
        {
            try
            {
                await staging.DeleteDeadLetterAsync(url, CancellationToken.None);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The rows are committed; a copy left behind is only storage.
                LogPayloadNotDeleted(exception, url);
            }
        }

        return (taken.Count, rows.Count, inserted);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string text, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(text, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Parameter(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-drive: Redshift refused a page of {Letters} dead letters ({SqlState}: {Reason}); trying each on its own")]
    private partial void LogPageRefused(int letters, string sqlState, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-drive: the loaded dead letter's payload {Url} could not be deleted from S3")]
    private partial void LogPayloadNotDeleted(Exception exception, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-drive of dead letters (dry run: {DryRun}): examined {Examined}, loaded {Loaded} ({Inserted} events inserted, {Duplicates} already held), still failing {StillFailing}")]
    private partial void LogDone(bool dryRun, long examined, long loaded, long inserted, long duplicates, long stillFailing);

    private sealed record Letter(string Stream, string ShardId, string SequenceNumber, string? Text, string? Url);

    private sealed record Parsed(Letter Letter, IReadOnlyList<EventRow> Rows);
}
