using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Telemetry;

namespace Tracking.Consumer.Shards;

/// <summary>
/// One leased shard: a read loop (GetRecords at most 5 times a second, idle back-off when caught up, back-off when
/// throttled, a new iterator when one expires) feeding a bounded channel, and a load loop that buffers rows until
/// <see cref="BatchingOptions"/> says so and commits each batch with the fenced checkpoint. The channel holds one
/// read, so reading pauses while loading is behind and memory stays bounded. Data flows one way: loop → buffer → loader.
/// </summary>
internal sealed partial class ShardProcessor(
    [FromKeyedServices(ShardProcessor.ReadingClient)] IKinesisClient kinesis,
    IWarehouseLoader loader,
    IOptions<StreamOptions> streamOptions,
    IOptions<BatchingOptions> batchingOptions,
    ConsumerMetrics metrics,
    ShardHealth health,
    TimeProvider timeProvider,
    ILogger<ShardProcessor> logger)
{
    /// <summary>The key of the Kinesis client the read loop is given: one attempt per call, as <see cref="ReadRetries"/>
    /// retries every failed GetShardIterator and GetRecords itself and a retrying client would nest in it.</summary>
    internal const string ReadingClient = "Tracking.Consumer.ShardReads";

    /// <summary>Between two GetRecords calls on a shard: the service allows 5 per second per shard.</summary>
    internal static readonly TimeSpan MinReadInterval = TimeSpan.FromSeconds(1.0 / KinesisLimits.MaxGetRecordsCallsPerShardPerSecond);

    /// <summary>After an empty read at the tip of the shard.</summary>
    internal static readonly TimeSpan IdleDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Retries of a failed GetRecords, for as long as the lease is held. Equal jitter waits at least half the
    /// ceiling: the first retry comes after 250 ms at the earliest, past the read interval; 10 s at most.</summary>
    internal static readonly RetryPolicy ReadRetries = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), Jitter.Equal);

    /// <summary>Reads and loads the shard until it ends, the lease is lost, or <paramref name="stopReading"/> fires;
    /// in the last case what was already read is still offered to the loader, whose fence decides.</summary>
    public async Task<ShardOutcome> RunAsync(ShardFence fence, Lease lease, CancellationToken stopReading)
    {
        ShardCheckpoint? start;
        try
        {
            start = await loader.BeginAsync(fence, lease.ToCheckpoint(), stopReading);
        }
        catch (OperationCanceledException) when (stopReading.IsCancellationRequested)
        {
            return ShardOutcome.Stopped;
        }

        if (start is null)
        {
            return ShardOutcome.LeaseLost;
        }

        lease = lease with { Checkpoint = start.SequenceNumber, Finished = start.Finished };
        var channel = Channel.CreateBounded<ReadChunk>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(stopReading);
        var reader = ReadAsync(fence.ShardId, lease, channel.Writer, reading.Token);
        try
        {
            return await LoadAsync(fence, channel.Reader);
        }
        finally
        {
            await reading.CancelAsync();
            await reader;
        }
    }

    private async Task ReadAsync(string shardId, Lease lease, ChannelWriter<ReadChunk> writer, CancellationToken cancellationToken)
    {
        try
        {
            var lastRead = lease.Checkpoint;
            // Fetched inside the loop's retry, so a transient failure of GetShardIterator is retried like one of GetRecords.
            string? iterator = null;
            var limit = Math.Min(batchingOptions.Value.MaxRows, KinesisLimits.MaxRecordsPerGetRecords);
            var lastCall = 0L;
            var failures = 0;
            var lastWarned = 0L;
            while (true)
            {
                var wait = MinReadInterval - timeProvider.GetElapsedTime(lastCall);
                if (lastCall != 0 && wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, timeProvider, cancellationToken);
                }

                lastCall = timeProvider.GetTimestamp();
                GetRecordsResponse response;
                try
                {
                    iterator ??= await IteratorAsync(shardId, lease, lastRead, cancellationToken);
                    response = await kinesis.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator, Limit = limit }, cancellationToken);
                    failures = 0;
                }
                catch (AwsExpiredIteratorException)
                {
                    LogIteratorExpired(shardId, lastRead);
                    iterator = null;
                    continue;
                }
                catch (Exception exception) when (IsTransient(exception) && !cancellationToken.IsCancellationRequested)
                {
                    // The only retry of these calls (the reading client makes one attempt each): keep the iterator and
                    // slow down rather than give the shard up.
                    failures++;
                    var delay = ReadRetries.Delay(failures);
                    // A stack trace for the first failure in a row, then one line per interval: an outage of the
                    // stream must not flood the log.
                    if (failures == 1)
                    {
                        LogReadFailed(exception, shardId, delay);
                        lastWarned = timeProvider.GetTimestamp();
                    }
                    else if (timeProvider.GetElapsedTime(lastWarned) >= ShardHealth.LogInterval)
                    {
                        LogReadFailedAgain(shardId, failures, exception.GetType().Name, exception.Message, delay);
                        lastWarned = timeProvider.GetTimestamp();
                    }
                    else
                    {
                        LogReadRetry(shardId, failures, exception.GetType().Name, exception.Message, delay);
                    }

                    await Task.Delay(delay, timeProvider, cancellationToken);
                    continue;
                }

                metrics.Read(shardId, response.Records.Count, response.MillisBehindLatest);
                health.Read(shardId, response.Records.Count > 0 ? response.Records[^1].SequenceNumber : null, response.MillisBehindLatest);
                if (response.Records.Count > 0)
                {
                    LogRead(shardId, response.Records.Count, response.MillisBehindLatest);
                }

                var ended = response.NextShardIterator is null;
                if (response.Records.Count > 0 || ended)
                {
                    await writer.WriteAsync(new ReadChunk(response.Records, ended), cancellationToken);
                }

                if (response.Records.Count > 0)
                {
                    lastRead = response.Records[^1].SequenceNumber;
                }

                if (ended)
                {
                    LogShardEnded(shardId, string.Join(", ", (response.ChildShards ?? []).Select(c => c.ShardId)));
                    break;
                }

                iterator = response.NextShardIterator!;
                if (response.Records.Count == 0 && response.MillisBehindLatest is null or 0)
                {
                    await Task.Delay(IdleDelay, timeProvider, cancellationToken);
                }
            }

            writer.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (Exception exception)
        {
            writer.TryComplete(exception);
        }
    }

    private async Task<string> IteratorAsync(string shardId, Lease lease, string? checkpoint, CancellationToken cancellationToken)
    {
        var options = streamOptions.Value;
        var request = checkpoint is not null
            ? new GetShardIteratorRequest { StreamName = options.StreamName, ShardId = shardId, ShardIteratorType = ShardIteratorType.AfterSequenceNumber, StartingSequenceNumber = checkpoint }
            : lease.StartPosition switch
            {
                // Rows written before start_timestamp existed: the tip, as they always read.
                StartPositions.Latest => new GetShardIteratorRequest { StreamName = options.StreamName, ShardId = shardId, ShardIteratorType = ShardIteratorType.Latest },
                StartPositions.AtTimestamp => new GetShardIteratorRequest { StreamName = options.StreamName, ShardId = shardId, ShardIteratorType = ShardIteratorType.AtTimestamp, Timestamp = lease.StartTimestamp ?? options.InitialTimestamp },
                _ => new GetShardIteratorRequest { StreamName = options.StreamName, ShardId = shardId, ShardIteratorType = ShardIteratorType.TrimHorizon },
            };
        var iterator = (await kinesis.GetShardIteratorAsync(request, cancellationToken)).ShardIterator;
        LogIterator(shardId, request.ShardIteratorType, checkpoint, request.Timestamp);
        return iterator;
    }

    private async Task<ShardOutcome> LoadAsync(ShardFence fence, ChannelReader<ReadChunk> reader)
    {
        var options = batchingOptions.Value;
        var buffer = new ShardBuffer(fence.Stream, fence.ShardId);
        var firstAt = 0L;
        while (true)
        {
            var completed = false;
            if (buffer.IsEmpty)
            {
                completed = !await reader.WaitToReadAsync();
            }
            else if (options.Linger - timeProvider.GetElapsedTime(firstAt) is var remaining && remaining > TimeSpan.Zero)
            {
                using var linger = new CancellationTokenSource(remaining, timeProvider);
                try
                {
                    completed = !await reader.WaitToReadAsync(linger.Token);
                }
                catch (OperationCanceledException) when (linger.IsCancellationRequested)
                {
                    // The batch's first row has waited long enough.
                }
            }

            if (!completed && reader.TryRead(out var chunk))
            {
                // A batch ends between records, never inside one (a KPL aggregate's user records load together), and
                // before the record whose rows or bytes would take it past MaxRows or MaxBytes.
                foreach (var record in chunk.Records)
                {
                    var read = buffer.Read(record);
                    if (!buffer.IsEmpty && (buffer.RowCount + read.Count > options.MaxRows || buffer.Bytes + read.Bytes > options.MaxBytes))
                    {
                        if (await FlushAsync(fence, buffer, finished: false) == LoadOutcome.LeaseLost)
                        {
                            return ShardOutcome.LeaseLost;
                        }
                    }

                    if (buffer.IsEmpty)
                    {
                        firstAt = timeProvider.GetTimestamp();
                    }

                    buffer.Add(read);
                }

                if (chunk.ShardEnded)
                {
                    return await FlushAsync(fence, buffer, finished: true) == LoadOutcome.Committed ? ShardOutcome.Finished : ShardOutcome.LeaseLost;
                }
            }

            if (completed)
            {
                return buffer.IsEmpty || await FlushAsync(fence, buffer, finished: false) == LoadOutcome.Committed ? ShardOutcome.Stopped : ShardOutcome.LeaseLost;
            }

            if (!buffer.IsEmpty && (buffer.RowCount >= options.MaxRows || buffer.Bytes >= options.MaxBytes || timeProvider.GetElapsedTime(firstAt) >= options.Linger))
            {
                if (await FlushAsync(fence, buffer, finished: false) == LoadOutcome.LeaseLost)
                {
                    return ShardOutcome.LeaseLost;
                }
            }
        }
    }

    /// <summary>Loads the buffer; not cancellable, so a shutdown finishes the load it started.</summary>
    private async Task<LoadOutcome> FlushAsync(ShardFence fence, ShardBuffer buffer, bool finished)
    {
        var batch = buffer.TakeBatch(fence, finished);
        using var load = ConsumerTracing.StartLoad(batch);
        LoadResult result;
        try
        {
            result = await loader.LoadAsync(batch, CancellationToken.None);
        }
        catch (Exception exception) when (load is not null)
        {
            load.SetStatus(ActivityStatusCode.Error, exception.Message);
            load.AddException(exception);
            throw;
        }

        ConsumerTracing.Ended(load, result);
        if (result.Outcome == LoadOutcome.LeaseLost)
        {
            LogRolledBack(fence.ShardId, fence.Counter, batch.Rows.Count + batch.DeadLetters.Count);
        }
        else
        {
            health.Committed(fence.ShardId, batch.LastSequenceNumber);
            LogCommitted(fence.ShardId, batch.Rows.Count, result.RowsInserted, batch.DeadLetters.Count, batch.LastSequenceNumber);
        }

        return result.Outcome;
    }

    private static bool IsTransient(Exception exception) => TransientErrors.IsTransient(exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {ShardId} ended; children: {Children}")]
    private partial void LogShardEnded(string shardId, string children);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shard {ShardId}: reading {Type} (checkpoint {Checkpoint}, timestamp {Timestamp})")]
    private partial void LogIterator(string shardId, ShardIteratorType type, string? checkpoint, DateTimeOffset? timestamp);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shard {ShardId}: read {Count} records, {MillisBehindLatest} ms behind")]
    private partial void LogRead(string shardId, int count, long? millisBehindLatest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {ShardId}: iterator expired; a new one starts after {Checkpoint}")]
    private partial void LogIteratorExpired(string shardId, string? checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: GetRecords failed; retrying in {Delay}")]
    private partial void LogReadFailed(Exception exception, string shardId, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: GetRecords failed {Failures} times in a row ({Error}: {Reason}); retrying in {Delay}")]
    private partial void LogReadFailedAgain(string shardId, int failures, string error, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shard {ShardId}: GetRecords failed again ({Failures} in a row, {Error}: {Reason}); retrying in {Delay}")]
    private partial void LogReadRetry(string shardId, int failures, string error, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId}: lease {Counter} lost; the load of {Records} records was rolled back")]
    private partial void LogRolledBack(string shardId, long counter, int records);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shard {ShardId}: committed {Rows} rows ({Inserted} new) and {DeadLetters} dead letters up to {Checkpoint}")]
    private partial void LogCommitted(string shardId, int rows, int inserted, int deadLetters, string? checkpoint);
}
