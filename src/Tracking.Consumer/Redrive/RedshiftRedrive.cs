using System.Net;
using System.Text;
using Amazon.S3;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Redrive;

/// <summary>
/// Reads <c>dead_letters</c> again with today's code and loads what now loads, on Redshift. Letters are read as the
/// shard loop reads records (<see cref="DeadLetterReading"/>) and vetted as the loader vets rows
/// (<see cref="RedshiftRows.Vet"/>); a payload kept on S3 (<c>payload_url</c>) is fetched, and one no longer there
/// leaves its letter failing with that reason rather than stopping the re-drive. Each page of loadable letters is one
/// transaction, begun as every load is (<see cref="RedshiftSql.LockLoads"/>): the letters are deleted first (a letter
/// another re-drive took already deletes nothing, and its rows are left out), their rows staged as a load stages
/// them (<c>COPY</c> from S3 for many rows or a JSON value too long for a <c>VARCHAR</c> parameter, else
/// <c>INSERT</c>), those <c>events</c> holds dropped as a load drops them (<see cref="RedshiftSql.DeleteAlreadyLoaded"/>),
/// the rest inserted, and the user records of a split aggregate that still fail written as letters of their own.
/// Redshift has no savepoints: when it refuses a page for its data, each letter of it is tried in a transaction of
/// its own.
/// </summary>
internal sealed partial class RedshiftRedrive(
    NpgsqlDataSource dataSource,
    S3Staging staging,
    IRedshiftCopy copy,
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
                if (await PayloadAsync(letter, cancellationToken) is not { } payload)
                {
                    result.StillFails($"its payload is no longer at {letter.Url} (or the consumer may not read it: it needs s3:GetObject, and s3:ListBucket for a missing object to read as missing)");
                    continue;
                }

                var reread = DeadLetterReading.Read(letter.Stream, letter.ShardId, letter.SequenceNumber, payload, RedshiftRows.Vet);
                if (reread.Whole is { } whole)
                {
                    result.StillFails(whole.Reason);
                }
                else
                {
                    loadable.Add(new Parsed(letter, reread));
                }
            }

            if (loadable.Count > 0)
            {
                try
                {
                    Count(result, await LoadAsync(loadable, request.DryRun, cancellationToken));
                }
                catch (PostgresException exception) when (RedshiftLoader.MayBeRefusedData(exception) && loadable.Count > 1)
                {
                    LogPageRefused(loadable.Count, exception.SqlState, exception.MessageText);
                    foreach (var one in loadable)
                    {
                        try
                        {
                            Count(result, await LoadAsync([one], request.DryRun, cancellationToken));
                        }
                        catch (PostgresException refused) when (RedshiftLoader.MayBeRefusedData(refused))
                        {
                            result.StillFails(new DeadLetter(one.Letter.SequenceNumber, $"Redshift refused it: {refused.SqlState} {refused.MessageText}", ReadOnlyMemory<byte>.Empty).Reason);
                        }
                    }
                }
                catch (PostgresException exception) when (RedshiftLoader.MayBeRefusedData(exception))
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

        LogDone(result.DryRun, result.Examined, result.Loaded, result.EventsInserted, result.Duplicates, result.Split, result.UserRecordsStillFailing, result.StillFailing);
        return result;
    }

    private static void Count(RedriveResult result, (IReadOnlyList<Parsed> Taken, int Rows, int Inserted) loaded)
    {
        foreach (var letter in loaded.Taken)
        {
            result.Loads(letter.Reread.Parts);
        }

        result.Inserted(loaded.Rows, loaded.Inserted);
    }

    /// <summary>The letter's payload: its text, or its copy on S3; <see langword="null"/> when that copy is gone.</summary>
    private async Task<byte[]?> PayloadAsync(Letter letter, CancellationToken cancellationToken)
    {
        if (letter.Text is not null)
        {
            return Encoding.UTF8.GetBytes(letter.Text);
        }

        try
        {
            return await staging.ReadDeadLetterAsync(letter.Url!, cancellationToken);
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            // Without s3:ListBucket, S3 answers a missing key with 403 rather than 404: either way this letter cannot be
            // read now, and the others are still re-driven.
            LogPayloadMissing(letter.Url!, letter.Stream, letter.ShardId, letter.SequenceNumber, exception.ErrorCode ?? exception.StatusCode.ToString());
            return null;
        }
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

    /// <summary>Loads the letters' rows, deletes the letters and writes the user records split off them in one
    /// transaction (rolled back in a dry run); returns the letters it took, their rows and how many were new.</summary>
    private async Task<(IReadOnlyList<Parsed> Taken, int Rows, int Inserted)> LoadAsync(IReadOnlyList<Parsed> letters, bool dryRun, CancellationToken cancellationToken)
    {
        if (letters.Count == 0)
        {
            return ([], 0, 0);
        }

        var settings = options.Value;
        var now = timeProvider.GetUtcNow();
        var candidates = letters.SelectMany(p => p.Reread.Rows).ToList();
        // Staged under the first letter's shard with a counter of its own, so two re-drives never share objects.
        var fence = new ShardFence(letters[0].Letter.Stream, letters[0].Letter.ShardId, "redrive", now.ToUnixTimeMilliseconds());
        var staged = candidates.Count > 0 && (candidates.Count >= settings.CopyThresholdRows || candidates.Any(RedshiftRows.NeedsCopy))
            ? await staging.StageAsync(fence, candidates, cancellationToken)
            : null;
        try
        {
            var parts = new Dictionary<Parsed, List<(DeadLetter Letter, string? Text, string? Url)>>();
            foreach (var parsed in letters.Where(p => p.Reread.Parts.Count > 0))
            {
                parts[parsed] = dryRun
                    ? [.. parsed.Reread.Parts.Select(d => (d, (string?)null, (string?)null))]
                    : await RedshiftDeadLetters.PrepareAsync(staging, fence with { Stream = parsed.Letter.Stream, ShardId = parsed.Letter.ShardId }, parsed.Reread.Parts, cancellationToken);
            }

            // Null when another re-drive took some of the letters first and the staged objects hold their rows too:
            // then the rest are loaded again on their own.
            return await CommitAsync(letters, staged, parts, dryRun, now, cancellationToken) is { } loaded
                ? loaded
                : await LoadAsync(await StillHeldAsync(letters, cancellationToken), dryRun, cancellationToken);
        }
        finally
        {
            if (staged is not null)
            {
                await DeleteStagedAsync(staged);
            }
        }
    }

    private async Task<(IReadOnlyList<Parsed> Taken, int Rows, int Inserted)?> CommitAsync(
        IReadOnlyList<Parsed> letters,
        StagedBatch? staged,
        Dictionary<Parsed, List<(DeadLetter Letter, string? Text, string? Url)>> parts,
        bool dryRun,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
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
            // Redshift enforces no unique key: an older consumer may have written a letter twice, and the first DELETE
            // of its key removes both rows. Both are then this transaction's, so a key is taken when any DELETE of it was.
            var deleted = new HashSet<(string, string, string)>();
            for (var i = 0; i < letters.Count; i++)
            {
                if (delete.BatchCommands[i].RecordsAffected > 0)
                {
                    deleted.Add(letters[i].Key);
                }
            }

            taken.AddRange(letters.Where(p => deleted.Contains(p.Key)));
        }

        if (staged is not null && taken.Count < letters.Count)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }

        var rows = taken.SelectMany(p => p.Reread.Rows).ToList();
        var inserted = await RedshiftLoader.InsertRowsAsync(connection, transaction, sql, copy, rows, staged, options.Value.DedupWindow, now, cancellationToken);

        foreach (var parsed in taken.Where(parts.ContainsKey))
        {
            await RedshiftDeadLetters.InsertAsync(connection, transaction, parsed.Letter.Stream, parsed.Letter.ShardId, parts[parsed], now, cancellationToken);
        }

        if (dryRun)
        {
            await transaction.RollbackAsync(cancellationToken);
            return (taken, rows.Count, inserted);
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

        return (taken, rows.Count, inserted);
    }

    /// <summary>Those of <paramref name="letters"/> still in <c>dead_letters</c>.</summary>
    private async Task<List<Parsed>> StillHeldAsync(IReadOnlyList<Parsed> letters, CancellationToken cancellationToken)
    {
        var held = new List<Parsed>(letters.Count);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        foreach (var parsed in letters)
        {
            await using var select = new NpgsqlCommand(RedshiftSql.DeadLetterExists, connection);
            select.Parameters.Add(Parameter(parsed.Letter.Stream, NpgsqlDbType.Varchar));
            select.Parameters.Add(Parameter(parsed.Letter.ShardId, NpgsqlDbType.Varchar));
            select.Parameters.Add(Parameter(parsed.Letter.SequenceNumber, NpgsqlDbType.Varchar));
            if (await select.ExecuteScalarAsync(cancellationToken) is not null)
            {
                held.Add(parsed);
            }
        }

        return held;
    }

    private async Task DeleteStagedAsync(StagedBatch staged)
    {
        try
        {
            await staging.DeleteAsync(staged, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Committed or rolled back already; a bucket lifecycle rule removes what is left.
            LogStagedNotDeleted(exception, staged.ManifestUrl);
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-drive: the payload of dead letter {Stream}/{ShardId}/{SequenceNumber} could not be read from {Url} ({Code}); the letter stays, failing")]
    private partial void LogPayloadMissing(string url, string stream, string shardId, string sequenceNumber, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-drive: staged objects of {Manifest} could not be deleted; a lifecycle rule on the prefix removes them")]
    private partial void LogStagedNotDeleted(Exception exception, string manifest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-drive of dead letters (dry run: {DryRun}): examined {Examined}, loaded {Loaded} ({Inserted} events inserted, {Duplicates} already held; {Split} aggregates split, leaving {UserRecords} user records), still failing {StillFailing}")]
    private partial void LogDone(bool dryRun, long examined, long loaded, long inserted, long duplicates, long split, long userRecords, long stillFailing);

    private sealed record Letter(string Stream, string ShardId, string SequenceNumber, string? Text, string? Url);

    private sealed class Parsed(Letter letter, Reread reread)
    {
        public Letter Letter { get; } = letter;

        public Reread Reread { get; } = reread;

        public (string Stream, string ShardId, string SequenceNumber) Key => (Letter.Stream, Letter.ShardId, Letter.SequenceNumber);
    }
}
