using System.Diagnostics;
using Npgsql;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Loads a batch into PostgreSQL in one transaction: a lock-free look at the fence first (so a lost lease costs no
/// work), binary COPY into a temporary staging table, then insert-if-absent into <c>events</c> by <c>message_id</c>,
/// the dead letters, and last the fenced checkpoint, whose row lock lasts only until the commit (see
/// <see cref="PostgresCheckpoints"/>). Values travel as COPY fields and parameters only.
/// </summary>
/// <remarks>
/// Records PostgreSQL cannot hold are caught before the load where that can be known (<see cref="EventRecords"/>).
/// Should the database still refuse rows for their data (SQLSTATE class 22 data exception, 23 integrity constraint
/// violation, 54 a value too large for an index), the rows are loaded under a savepoint and a refused set is split
/// in halves, down to the single rows to blame: those go to <c>dead_letters</c> with PostgreSQL's reason, in the same
/// transaction as the good rows and the checkpoint. A failure of the database itself (no connection, shutting down,
/// out of resources, a timeout: <see cref="WarehouseFailures.IsUnavailable"/>) is never blamed on the data: the
/// whole load is run again after a back-off (<see cref="WarehouseFailures"/>), and should it still fail, the error
/// goes to the shard's loop, which leaves the checkpoint where it was.
/// </remarks>
internal sealed partial class PostgresLoader(NpgsqlDataSource dataSource, ConsumerMetrics metrics, TimeProvider timeProvider, ILogger<PostgresLoader> logger) : IWarehouseLoader
{
    private const string Savepoint = "rows";

    public Task<LoadResult> LoadAsync(LoadBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return WarehouseFailures.RetryAsync(
            token => LoadOnceAsync(batch, token),
            timeProvider,
            (attempt, delay, exception) => LogUnavailable(exception, batch.Fence.ShardId, attempt, delay),
            cancellationToken);
    }

    /// <summary>Whether PostgreSQL refused the statement for the data it was given, rather than for its own state.</summary>
    internal static bool IsRefusedData(PostgresException exception) =>
        exception.SqlState.StartsWith("22", StringComparison.Ordinal)
        || exception.SqlState.StartsWith("23", StringComparison.Ordinal)
        || exception.SqlState.StartsWith("54", StringComparison.Ordinal);

    private async Task<LoadResult> LoadOnceAsync(LoadBatch batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        if (!await PostgresCheckpoints.HoldsAsync(connection, transaction, batch.Fence, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LoadResult(LoadOutcome.LeaseLost, 0, 0);
        }

        var load = new Narrowing(batch.Rows.Count, batch.DeadLetters);
        if (batch.Rows.Count > 0)
        {
            await using (var create = new NpgsqlCommand(PostgresSql.CreateStaging, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await LoadPartAsync(connection, transaction, batch, batch.Rows, load, cancellationToken);
        }

        var now = timeProvider.GetUtcNow();
        if (load.DeadLetters.Count > 0)
        {
            await DeadLetters.InsertAsync(connection, transaction, batch.Fence.Stream, batch.Fence.ShardId, load.DeadLetters, now, cancellationToken);
        }

        if (!await PostgresCheckpoints.AdvanceAsync(connection, transaction, batch.Fence, batch.LastSequenceNumber, batch.ShardFinished, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LoadResult(LoadOutcome.LeaseLost, 0, 0);
        }

        await transaction.CommitAsync(cancellationToken);

        var loaded = load.Refused == 0 ? batch : batch with { Rows = load.Rows, DeadLetters = load.DeadLetters };
        var duplicates = loaded.Rows.Count - load.Inserted;
        metrics.Loaded(loaded, load.Inserted, duplicates, Stopwatch.GetElapsedTime(started), now);
        return new LoadResult(LoadOutcome.Committed, load.Inserted, duplicates);
    }

    /// <summary>Loads <paramref name="rows"/> under a savepoint; if PostgreSQL refuses them for their data, each half
    /// is tried on its own, down to the single rows it refuses, which become dead letters.</summary>
    private async Task LoadPartAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, LoadBatch batch, IReadOnlyList<EventRow> rows, Narrowing load, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync(Savepoint, cancellationToken);
        int inserted;
        try
        {
            await CopyAsync(connection, rows, cancellationToken);
            await using var insert = new NpgsqlCommand(PostgresSql.InsertFromStaging, connection, transaction);
            inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException exception) when (IsRefusedData(exception))
        {
            await transaction.RollbackAsync(Savepoint, cancellationToken);
            if (rows.Count == 1)
            {
                load.Refuse(new DeadLetter(rows[0].SequenceNumber, $"PostgreSQL refused it: {exception.SqlState} {exception.MessageText}", rows[0].Payload));
                return;
            }

            if (rows.Count == batch.Rows.Count)
            {
                LogRefused(batch.Fence.ShardId, rows.Count, exception.SqlState, exception.MessageText);
            }

            var half = rows.Count / 2;
            await LoadPartAsync(connection, transaction, batch, rows.Take(half).ToList(), load, cancellationToken);
            await LoadPartAsync(connection, transaction, batch, rows.Skip(half).ToList(), load, cancellationToken);
            return;
        }

        await transaction.ReleaseAsync(Savepoint, cancellationToken);
        load.Accept(rows, inserted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: PostgreSQL refused a batch of {Rows} rows ({SqlState}: {Reason}); splitting it to set the bad rows aside")]
    private partial void LogRefused(string shardId, int rows, string sqlState, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: load attempt {Attempt} failed as the warehouse is unavailable; running it again in {Delay}")]
    private partial void LogUnavailable(Exception exception, string shardId, int attempt, TimeSpan delay);

    /// <summary>What a load kept and set aside while narrowing down refused rows.</summary>
    private sealed class Narrowing(int rows, IReadOnlyList<DeadLetter> deadLetters)
    {
        public List<EventRow> Rows { get; } = new(rows);

        public List<DeadLetter> DeadLetters { get; } = [.. deadLetters];

        public int Inserted { get; private set; }

        public int Refused { get; private set; }

        public void Accept(IReadOnlyList<EventRow> rows, int inserted)
        {
            Rows.AddRange(rows);
            Inserted += inserted;
        }

        public void Refuse(DeadLetter letter)
        {
            DeadLetters.Add(letter);
            Refused++;
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<EventRow> rows, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync(PostgresSql.CopyIntoStaging, cancellationToken);
        foreach (var row in rows)
        {
            await writer.StartRowAsync(cancellationToken);
            foreach (var column in EventColumns.All)
            {
                await PostgresSql.WriteAsync(writer, column, row, cancellationToken);
            }
        }

        await writer.CompleteAsync(cancellationToken);
    }
}
