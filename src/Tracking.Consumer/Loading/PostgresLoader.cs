using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Loads a batch into PostgreSQL in one transaction: a lock-free look at the fence first (so a lost lease costs no
/// work), binary COPY into a temporary staging table, then insert-if-absent into <c>events</c> by <c>message_id</c>,
/// the dead letters, and last the fenced checkpoint, whose row lock lasts only until the commit (see
/// <see cref="Checkpoints"/>). Values travel as COPY fields and parameters only.
/// </summary>
/// <remarks>
/// Records PostgreSQL cannot hold are caught before the load where that can be known (<see cref="EventRecords"/>).
/// Should the database still refuse a batch for its data (SQLSTATE class 22, e.g. a JSON number beyond
/// <c>numeric</c>'s range, or class 54, a value too large for an index), the batch is loaded again row by row, each
/// under a savepoint, and the rows refused go to <c>dead_letters</c>: a bad record never blocks its shard.
/// </remarks>
internal sealed partial class PostgresLoader(NpgsqlDataSource dataSource, ConsumerMetrics metrics, TimeProvider timeProvider, ILogger<PostgresLoader> logger) : IWarehouseLoader
{
    private const string Columns =
        "message_id, type, event, name, user_id, anonymous_id, group_id, previous_id, \"timestamp\", original_timestamp, sent_at, received_at, source, context, properties, traits, integrations";

    // ON COMMIT DELETE ROWS keeps the table for the connection's next load while each commit empties it.
    private const string CreateStaging =
        """
        CREATE TEMP TABLE IF NOT EXISTS events_staging (
            message_id text, type text, event text, name text, user_id text, anonymous_id text, group_id text,
            previous_id text, "timestamp" timestamptz, original_timestamp timestamptz, sent_at timestamptz,
            received_at timestamptz, source text, context jsonb, properties jsonb, traits jsonb, integrations jsonb
        ) ON COMMIT DELETE ROWS
        """;

    private const string InsertFromStaging =
        $"INSERT INTO events ({Columns}, loaded_at) SELECT {Columns}, now() FROM events_staging ON CONFLICT (message_id) DO NOTHING";

    private const string InsertOne =
        $"INSERT INTO events ({Columns}, loaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, now()) ON CONFLICT (message_id) DO NOTHING";

    public async Task<LoadResult> LoadAsync(LoadBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            return await LoadAllAsync(batch, cancellationToken);
        }
        catch (PostgresException exception) when (IsRefusedData(exception))
        {
            LogRefused(batch.Fence.ShardId, batch.Rows.Count, exception.SqlState, exception.MessageText);
            return await LoadRowByRowAsync(batch, cancellationToken);
        }
    }

    private static bool IsRefusedData(PostgresException exception) =>
        exception.SqlState.StartsWith("22", StringComparison.Ordinal) || exception.SqlState.StartsWith("54", StringComparison.Ordinal);

    private async Task<LoadResult> LoadRowByRowAsync(LoadBatch batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await Checkpoints.HoldsAsync(connection, transaction, batch.Fence, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LoadResult(LoadOutcome.LeaseLost, 0, 0);
        }

        var inserted = 0;
        var rows = new List<EventRow>(batch.Rows.Count);
        var deadLetters = new List<DeadLetter>(batch.DeadLetters);
        foreach (var row in batch.Rows)
        {
            await transaction.SaveAsync("row", cancellationToken);
            try
            {
                await using var insert = new NpgsqlCommand(InsertOne, connection, transaction);
                AddParameters(insert.Parameters, row);
                inserted += await insert.ExecuteNonQueryAsync(cancellationToken);
                await transaction.ReleaseAsync("row", cancellationToken);
                rows.Add(row);
            }
            catch (PostgresException exception) when (IsRefusedData(exception))
            {
                await transaction.RollbackAsync("row", cancellationToken);
                deadLetters.Add(new DeadLetter(row.SequenceNumber, $"PostgreSQL refused it: {exception.SqlState} {exception.MessageText}", row.Payload));
            }
        }

        var now = timeProvider.GetUtcNow();
        if (deadLetters.Count > 0)
        {
            await DeadLetters.InsertAsync(connection, transaction, batch.Fence.Stream, batch.Fence.ShardId, deadLetters, now, cancellationToken);
        }

        if (!await Checkpoints.AdvanceAsync(connection, transaction, batch.Fence, batch.LastSequenceNumber, batch.ShardFinished, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LoadResult(LoadOutcome.LeaseLost, 0, 0);
        }

        await transaction.CommitAsync(cancellationToken);
        var loaded = batch with { Rows = rows, DeadLetters = deadLetters };
        metrics.Loaded(loaded, inserted, rows.Count - inserted, Stopwatch.GetElapsedTime(started), now);
        return new LoadResult(LoadOutcome.Committed, inserted, rows.Count - inserted);
    }

    private static void AddParameters(NpgsqlParameterCollection parameters, EventRow row)
    {
        void Add(object? value, NpgsqlDbType type) => parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = type });
        Add(row.MessageId, NpgsqlDbType.Text);
        Add(row.Type, NpgsqlDbType.Text);
        Add(row.Event, NpgsqlDbType.Text);
        Add(row.Name, NpgsqlDbType.Text);
        Add(row.UserId, NpgsqlDbType.Text);
        Add(row.AnonymousId, NpgsqlDbType.Text);
        Add(row.GroupId, NpgsqlDbType.Text);
        Add(row.PreviousId, NpgsqlDbType.Text);
        Add(row.Timestamp?.UtcDateTime, NpgsqlDbType.TimestampTz);
        Add(row.OriginalTimestamp?.UtcDateTime, NpgsqlDbType.TimestampTz);
        Add(row.SentAt?.UtcDateTime, NpgsqlDbType.TimestampTz);
        Add(row.ReceivedAt?.UtcDateTime, NpgsqlDbType.TimestampTz);
        Add(row.Source, NpgsqlDbType.Text);
        Add(row.Context, NpgsqlDbType.Jsonb);
        Add(row.Properties, NpgsqlDbType.Jsonb);
        Add(row.Traits, NpgsqlDbType.Jsonb);
        Add(row.Integrations, NpgsqlDbType.Jsonb);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: PostgreSQL refused a batch of {Rows} rows ({SqlState}: {Reason}); loading it row by row to set the bad ones aside")]
    private partial void LogRefused(string shardId, int rows, string sqlState, string reason);

    private async Task<LoadResult> LoadAllAsync(LoadBatch batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        if (!await Checkpoints.HoldsAsync(connection, transaction, batch.Fence, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LoadResult(LoadOutcome.LeaseLost, 0, 0);
        }

        var inserted = 0;
        if (batch.Rows.Count > 0)
        {
            await using (var create = new NpgsqlCommand(CreateStaging, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await CopyAsync(connection, batch.Rows, cancellationToken);
            await using var insert = new NpgsqlCommand(InsertFromStaging, connection, transaction);
            inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        var now = timeProvider.GetUtcNow();
        if (batch.DeadLetters.Count > 0)
        {
            await DeadLetters.InsertAsync(connection, transaction, batch.Fence.Stream, batch.Fence.ShardId, batch.DeadLetters, now, cancellationToken);
        }

        if (!await Checkpoints.AdvanceAsync(connection, transaction, batch.Fence, batch.LastSequenceNumber, batch.ShardFinished, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LoadResult(LoadOutcome.LeaseLost, 0, 0);
        }

        await transaction.CommitAsync(cancellationToken);

        var duplicates = batch.Rows.Count - inserted;
        metrics.Loaded(batch, inserted, duplicates, Stopwatch.GetElapsedTime(started), now);
        return new LoadResult(LoadOutcome.Committed, inserted, duplicates);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<EventRow> rows, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync($"COPY events_staging ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var row in rows)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(row.MessageId, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.Type, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.Event, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.Name, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.UserId, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.AnonymousId, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.GroupId, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.PreviousId, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.Timestamp, cancellationToken);
            await WriteAsync(writer, row.OriginalTimestamp, cancellationToken);
            await WriteAsync(writer, row.SentAt, cancellationToken);
            await WriteAsync(writer, row.ReceivedAt, cancellationToken);
            await WriteAsync(writer, row.Source, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(writer, row.Context, NpgsqlDbType.Jsonb, cancellationToken);
            await WriteAsync(writer, row.Properties, NpgsqlDbType.Jsonb, cancellationToken);
            await WriteAsync(writer, row.Traits, NpgsqlDbType.Jsonb, cancellationToken);
            await WriteAsync(writer, row.Integrations, NpgsqlDbType.Jsonb, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }

    private static Task WriteAsync(NpgsqlBinaryImporter writer, string? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, type, cancellationToken);

    private static Task WriteAsync(NpgsqlBinaryImporter writer, DateTimeOffset? value, CancellationToken cancellationToken) =>
        value is { } time ? writer.WriteAsync(time.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken) : writer.WriteNullAsync(cancellationToken);
}
