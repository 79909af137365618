using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Tracking.Aws.Retries;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Loads a batch into Redshift exactly once. Rows Redshift would refuse become dead letters first
/// (<see cref="RedshiftRows"/>). Large batches are staged on S3 as gzip JSON lines with a manifest; small ones (fewer
/// than <see cref="RedshiftOptions.CopyThresholdRows"/>) skip S3. Then one transaction: take the load lock,
/// move the fenced checkpoint (a lost lease rolls back before any work), fill a temporary staging table (<c>COPY</c>
/// or multi-row parameterised <c>INSERT</c>), drop staged rows <c>events</c> already holds within
/// <see cref="RedshiftOptions.DedupWindow"/>, insert the first copy of each remaining <c>message_id</c>, write the dead
/// letters, commit. The staged objects are deleted afterwards, whatever the outcome.
/// </summary>
internal sealed partial class RedshiftLoader(
    NpgsqlDataSource dataSource,
    S3Staging staging,
    IRedshiftCopy copy,
    RedshiftSql sql,
    RedshiftCheckpoints checkpoints,
    IOptions<RedshiftOptions> options,
    ConsumerMetrics metrics,
    TimeProvider timeProvider,
    ILogger<RedshiftLoader> logger) : IWarehouseLoader
{
    /// <summary>Rows per staging INSERT statement: keeps each statement well under Redshift's 16 MB statement limit.</summary>
    internal const int RowsPerInsert = 200;

    /// <summary>Runs of a load's transaction when it loses a serialization conflict: 3 in all, after equal-jitter
    /// back-offs from 1 s doubling (0.5–1 s, then 1–2 s), so the two writers of a cycle do not meet again in step.</summary>
    internal static readonly RetryPolicy ConflictRetries = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), Jitter.Equal, MaxAttempts: 3);

    /// <summary>Claims the shard in Redshift with the fence's counter and starts after the checkpoint found there.</summary>
    public async Task<ShardCheckpoint?> BeginAsync(ShardFence fence, ShardCheckpoint listed, CancellationToken cancellationToken)
    {
        var claimed = await checkpoints.ClaimAsync(fence, cancellationToken);
        if (claimed is null)
        {
            LogStaleCounter(fence.ShardId, fence.Counter);
            return null;
        }

        return claimed.Finished ? null : claimed;
    }

    public Task<LoadResult> LoadAsync(LoadBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return WarehouseFailures.RetryAsync(
            token => LoadOnceAsync(batch, token),
            timeProvider,
            (attempt, delay, exception) => LogUnavailable(exception, batch.Fence.ShardId, attempt, delay),
            cancellationToken);
    }

    private async Task<LoadResult> LoadOnceAsync(LoadBatch batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (rows, deadLetters) = RedshiftRows.Vet(batch.Rows, batch.DeadLetters);
        try
        {
            return await AttemptAsync(batch, rows, deadLetters, commit: true, started, cancellationToken);
        }
        catch (PostgresException exception) when (MayBeRefusedData(exception) && rows.Count > 0)
        {
            LogRefused(batch.Fence.ShardId, rows.Count, exception.SqlState, exception.MessageText);
            var refused = new List<DeadLetter>();
            if (await NarrowAsync(batch, rows, refused, started, cancellationToken) == LoadOutcome.LeaseLost)
            {
                return new LoadResult(LoadOutcome.LeaseLost, 0, 0);
            }

            // No row refused on its own, or (for Redshift's catch-all XX000) every one: not a fault of the data.
            if (refused.Count == 0 || (refused.Count == rows.Count && rows.Count > 1 && !PostgresLoader.IsRefusedData(exception)))
            {
                throw;
            }

            var blamed = refused.Select(r => r.SequenceNumber).ToHashSet(StringComparer.Ordinal);
            var kept = rows.Where(r => !blamed.Contains(r.SequenceNumber)).ToList();
            return await AttemptAsync(batch, kept, [.. deadLetters, .. refused], commit: true, started, cancellationToken);
        }
    }

    /// <summary>
    /// Redshift has no savepoints, so a refused batch cannot be split inside its transaction as on PostgreSQL. Instead
    /// each half is tried in a transaction that runs the whole load and then rolls back, down to the single rows
    /// Redshift refuses; those become dead letters of the one real load that follows. A refusal is blamed on a row only
    /// when that row alone reproduces it.
    /// </summary>
    private async Task<LoadOutcome?> NarrowAsync(LoadBatch batch, List<EventRow> rows, List<DeadLetter> refused, long started, CancellationToken cancellationToken)
    {
        try
        {
            var probe = await AttemptAsync(batch, rows, [], commit: false, started, cancellationToken);
            return probe.Outcome == LoadOutcome.LeaseLost ? LoadOutcome.LeaseLost : null;
        }
        catch (PostgresException exception) when (MayBeRefusedData(exception))
        {
            if (rows.Count == 1)
            {
                refused.Add(new DeadLetter(rows[0].SequenceNumber, $"Redshift refused it: {exception.SqlState} {exception.MessageText}", rows[0].Payload));
                return null;
            }

            var half = rows.Count / 2;
            return await NarrowAsync(batch, rows[..half], refused, started, cancellationToken)
                ?? await NarrowAsync(batch, rows[half..], refused, started, cancellationToken);
        }
    }

    /// <summary>Whether Redshift may have refused the statement for the data it was given: a data exception, integrity
    /// or size class as on PostgreSQL, or Redshift's internal error class when it reports a failed <c>COPY</c> or a
    /// JSON value it cannot parse. Only a row that reproduces the error alone is blamed (<see cref="NarrowAsync"/>).</summary>
    internal static bool MayBeRefusedData(PostgresException exception) =>
        PostgresLoader.IsRefusedData(exception)
        || (exception.SqlState == PostgresErrorCodes.InternalError
            && (exception.MessageText.Contains("Load into table", StringComparison.OrdinalIgnoreCase)
                || exception.MessageText.Contains("JSON", StringComparison.OrdinalIgnoreCase)));

    /// <summary>Stages <paramref name="rows"/> (on S3 when large), then runs the load transaction, committing it or,
    /// for a probe, rolling it back at the end.</summary>
    private async Task<LoadResult> AttemptAsync(LoadBatch batch, List<EventRow> rows, List<DeadLetter> deadLetters, bool commit, long started, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var bulk = rows.Count > 0 && (rows.Count >= settings.CopyThresholdRows || rows.Any(RedshiftRows.NeedsCopy));
        var staged = bulk ? await staging.StageAsync(batch.Fence, rows, cancellationToken) : null;
        try
        {
            var letters = commit ? await RedshiftDeadLetters.PrepareAsync(staging, batch.Fence, deadLetters, cancellationToken) : [];
            // Another writer of events (Firehose's COPY, a user's job) formed a cycle with this load; the transaction
            // rolled back whole, so it is run again as it was.
            return await ConflictRetries.RunAsync(
                token => CommitAsync(batch, rows, deadLetters, letters, staged, commit, started, token),
                exception => exception is PostgresException postgres && IsSerializationConflict(postgres),
                (attempt, delay, exception) => LogConflict(batch.Fence.ShardId, attempt, delay, ((PostgresException)exception).MessageText),
                timeProvider,
                cancellationToken);
        }
        finally
        {
            if (staged is not null)
            {
                await DeleteStagedAsync(staged);
            }
        }
    }

    /// <summary>
    /// Redshift's serializable isolation aborts one of two transactions that read and write the same tables
    /// concurrently (error 1023); PostgreSQL reports 40001 or a deadlock, 40P01.
    /// </summary>
    internal static bool IsSerializationConflict(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
        || exception.MessageText.Trim().StartsWith("1023", StringComparison.Ordinal)
        || $"{exception.MessageText} {exception.Detail}".Contains("Serializable isolation violation", StringComparison.OrdinalIgnoreCase);

    private async Task<LoadResult> CommitAsync(
        LoadBatch batch,
        List<EventRow> rows,
        List<DeadLetter> deadLetters,
        List<(DeadLetter Letter, string? Text, string? Url)> letters,
        StagedBatch? staged,
        bool commit,
        long started,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = timeProvider.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, RedshiftSql.LockLoads, cancellationToken);
        if (!await AdvanceCheckpointAsync(connection, transaction, batch, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LoadResult(LoadOutcome.LeaseLost, 0, 0);
        }

        var inserted = await InsertRowsAsync(connection, transaction, sql, copy, rows, staged, settings.DedupWindow, now, cancellationToken);

        if (letters.Count > 0)
        {
            await RedshiftDeadLetters.InsertAsync(connection, transaction, batch.Fence.Stream, batch.Fence.ShardId, letters, now, cancellationToken);
        }

        if (!commit)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LoadResult(LoadOutcome.Committed, inserted, rows.Count - inserted);
        }

        await transaction.CommitAsync(cancellationToken);
        var loaded = batch with { Rows = rows, DeadLetters = deadLetters };
        metrics.Loaded(loaded, inserted, rows.Count - inserted, Stopwatch.GetElapsedTime(started), now);
        LogLoaded(batch.Fence.ShardId, staged is null ? "INSERT" : "COPY", rows.Count, inserted, deadLetters.Count);
        return new LoadResult(LoadOutcome.Committed, inserted, rows.Count - inserted);
    }

    private static async Task<bool> AdvanceCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, LoadBatch batch, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(RedshiftSql.AdvanceCheckpoint, connection, transaction);
        command.Parameters.Add(Parameter(batch.LastSequenceNumber, NpgsqlDbType.Varchar));
        command.Parameters.Add(Parameter(batch.ShardFinished, NpgsqlDbType.Boolean));
        command.Parameters.Add(Parameter(batch.Fence.Stream, NpgsqlDbType.Varchar));
        command.Parameters.Add(Parameter(batch.Fence.ShardId, NpgsqlDbType.Varchar));
        command.Parameters.Add(Parameter(batch.Fence.Owner, NpgsqlDbType.Varchar));
        command.Parameters.Add(Parameter(batch.Fence.Counter, NpgsqlDbType.Bigint));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Adds <paramref name="rows"/> to <c>events</c> in the caller's transaction, as every load does: fills a temporary
    /// staging table (from <paramref name="staged"/> by <c>COPY</c>, else by parameterised <c>INSERT</c>), drops the
    /// staged rows <c>events</c> already holds within <paramref name="dedupWindow"/>, inserts the first copy of each
    /// remaining <c>message_id</c>. Returns how many rows were new.
    /// </summary>
    internal static async Task<int> InsertRowsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        RedshiftSql sql,
        IRedshiftCopy copy,
        List<EventRow> rows,
        StagedBatch? staged,
        TimeSpan dedupWindow,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return 0;
        }

        await ExecuteAsync(connection, transaction, sql.CreateStaging, cancellationToken);
        if (staged is not null)
        {
            await copy.CopyAsync(connection, transaction, staged, cancellationToken);
        }
        else
        {
            await InsertIntoStagingAsync(connection, transaction, rows, cancellationToken);
        }

        var received = rows.Where(r => r.ReceivedAt is not null).Select(r => r.ReceivedAt!.Value).DefaultIfEmpty(now).Min();
        await using (var delete = new NpgsqlCommand(RedshiftSql.DeleteAlreadyLoaded, connection, transaction))
        {
            delete.Parameters.Add(Parameter((received - dedupWindow).UtcDateTime, NpgsqlDbType.TimestampTz));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        int inserted;
        await using (var insert = new NpgsqlCommand(RedshiftSql.InsertFromStaging, connection, transaction))
        {
            insert.Parameters.Add(Parameter(now.UtcDateTime, NpgsqlDbType.TimestampTz));
            inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await ExecuteAsync(connection, transaction, RedshiftSql.DropStaging, cancellationToken);
        return inserted;
    }

    /// <summary>Inserts rows into the staging table (<see cref="RedshiftSql.CreateStaging"/>) with parameters, in statements of <see cref="RowsPerInsert"/> rows.</summary>
    internal static async Task InsertIntoStagingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<EventRow> rows, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < rows.Count; offset += RowsPerInsert)
        {
            var chunk = rows.Skip(offset).Take(RowsPerInsert).ToList();
            await using var command = new NpgsqlCommand(RedshiftSql.InsertIntoStaging(chunk.Count), connection, transaction);
            for (var i = 0; i < chunk.Count; i++)
            {
                command.Parameters.Add(Parameter(offset + i, NpgsqlDbType.Integer));
                foreach (var column in EventColumns.All)
                {
                    command.Parameters.Add(column.Value(chunk[i]) switch
                    {
                        DateTimeOffset time => Parameter(time.UtcDateTime, NpgsqlDbType.TimestampTz),
                        var value when column.Kind == ColumnKind.Timestamp => Parameter(value, NpgsqlDbType.TimestampTz),
                        var value => Parameter(value, NpgsqlDbType.Varchar),
                    });
                }
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async Task DeleteStagedAsync(StagedBatch staged)
    {
        try
        {
            await staging.DeleteAsync(staged, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The rows are committed or rolled back already; a bucket lifecycle rule removes what is left.
            LogDeleteFailed(exception, staged.ManifestUrl);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Parameter(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: Redshift refused a batch of {Rows} rows ({SqlState}: {Reason}); trying its halves apart to set the bad rows aside")]
    private partial void LogRefused(string shardId, int rows, string sqlState, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {ShardId}: the lease store granted counter {Counter}, but Redshift's shard_checkpoints already holds that counter or a higher one; the lease store was reset or restored behind Redshift, and this shard is not read until its counter passes Redshift's")]
    private partial void LogStaleCounter(string shardId, long counter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: load attempt {Attempt} lost a serialization conflict ({Reason}); running it again in {Delay}")]
    private partial void LogConflict(string shardId, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: load attempt {Attempt} failed as Redshift or its S3 bucket is unavailable; running it again in {Delay}")]
    private partial void LogUnavailable(Exception exception, string shardId, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shard {ShardId}: {Path} of {Rows} rows, {Inserted} new, {DeadLetters} dead letters")]
    private partial void LogLoaded(string shardId, string path, int rows, int inserted, int deadLetters);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Staged objects of {Manifest} could not be deleted; a lifecycle rule on the prefix removes them")]
    private partial void LogDeleteFailed(Exception exception, string manifest);
}
